# code: E002
x ~ Bernoulli(0.5)
y := x
query P(y | do(z = true))
