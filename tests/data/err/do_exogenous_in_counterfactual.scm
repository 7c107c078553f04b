# code: E008
exogenous u ~ Normal(0, 1)
y := u
query E[y[do(u = 1)]]
