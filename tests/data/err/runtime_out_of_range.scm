# code: E006
x ~ Normal(0, 1)
p := 1.3 * (x > -100)
y ~ Bernoulli(p)
query P(y)
