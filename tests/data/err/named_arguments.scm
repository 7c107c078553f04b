# code: E005
x ~ Normal(mean = 0, sd = 1)
