# code: E007
x ~ Bernoulli(0.5)
y := x
query P(y | x, not y)
