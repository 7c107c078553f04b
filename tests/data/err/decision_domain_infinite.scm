# code: E009
x ~ Normal(0, 1)
u := -x * x
decide x maximize E[u]
