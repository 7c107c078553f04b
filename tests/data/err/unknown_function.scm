# code: E002
x ~ Normal(0, 1)
y := sqr(x)
