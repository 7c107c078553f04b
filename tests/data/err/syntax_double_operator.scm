# code: E001
x ~ Normal(0, 1)
y := x + * 2
