# code: E012
decision d in bool
y ~ Bernoulli(if d then 0.9 else 0.1)
x ~ Bernoulli(0.5)
query P(x | y)
