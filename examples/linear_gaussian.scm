# A linear-Gaussian system. With x ~ N(0, 1) and y ~ N(2x, 1): y ~ N(0, 5),
# E[x | y = 3] = 2*3/5 = 1.2 (Gaussian conditioning: Cov(x, y)/Var(y) * 3),
# E[y | do(x = 1.5)] = 3, and z = y - x has E[z | do(x = 1)] = 1.
x ~ Normal(0, 1)
y ~ Normal(2 * x, 1)
z := y - x

query E[x | y = 3]               # exact: 1.2
query E[y | do(x = 1.5)]         # exact: 3.0
query E[z | do(x = 1)]           # exact: 1.0
query P(y > 0)                   # exact: 0.5
