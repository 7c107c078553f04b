# code: E010
# method: exact
x ~ Normal(0, 1)
y ~ Normal(x, 1)
query E[y | do(x ~ Uniform(0, 2))]
