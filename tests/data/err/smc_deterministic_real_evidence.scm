# code: E011
# method: smc
x ~ Normal(0, 1)
y := 2 * x
query E[x | y = 1]
