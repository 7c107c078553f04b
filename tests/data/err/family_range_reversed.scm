# code: E005
for i in 10..1 {
  x[i] ~ Normal(0, 1)
}
