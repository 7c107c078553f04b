# code: E005
k ~ DiscreteUniform(1, 3)
for i in 1..3 {
  x[i] ~ Normal(0, 1)
}
query E[x[k]]
