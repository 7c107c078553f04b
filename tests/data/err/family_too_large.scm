# code: E010
for i in 1..1000000000 {
  x[i] ~ Normal(0, 1)
}
