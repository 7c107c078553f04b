# code: E008
exogenous u ~ Normal(0, 1)
y := 2 * u
query E[y | do(u ~ Normal(1, 1))]
