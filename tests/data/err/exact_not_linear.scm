# code: E010
# method: exact
# Normal noise, but the mean is not affine in the parent.
x ~ Normal(0, 1)
y ~ Normal(x * x, 1)
query E[y | x = 1]
