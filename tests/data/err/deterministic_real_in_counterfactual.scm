# code: E011
x ~ Normal(0, 1)
y := 2 * x
query E[x | y = 1]
