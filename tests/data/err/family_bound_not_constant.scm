# code: E005
n ~ Poisson(3)
for i in 1..n {
  x[i] ~ Normal(0, 1)
}
