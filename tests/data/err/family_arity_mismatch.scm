# code: E005
x[1] ~ Normal(0, 1)
x[1][2] ~ Normal(0, 1)
