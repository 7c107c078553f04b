# code: E005
x ~ Normal(0, 1)
y := x and true
