# code: E001
x ~ Bernoulli(0.5)
y ~ Bernoulli(0.5)
z := x && y
