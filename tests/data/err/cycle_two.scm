# code: E004
x ~ Normal(0, 1)
a := b + x
b := a * 2
query E[a]
