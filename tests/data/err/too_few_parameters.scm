# code: E005
x ~ Normal(0)
