# code: E005
set method = smx
x ~ Normal(0, 1)
query E[x]
