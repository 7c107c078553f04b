# code: E007
x ~ Bernoulli(0.3)
y := not x
query P(x | x, y)
