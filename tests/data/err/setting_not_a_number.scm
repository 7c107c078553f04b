# code: E005
set seed = "lucky"
x ~ Normal(0, 1)
query E[x]
