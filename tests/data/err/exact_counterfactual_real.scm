# code: E010
# method: exact
x ~ Bernoulli(0.5)
y ~ Exponential(if x then 1 else 2)
query E[y[do(x = true)] | y > 1]
