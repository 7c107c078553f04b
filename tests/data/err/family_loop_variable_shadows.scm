# code: E003
for i in 1..2 {
  for i in 1..2 {
    x[i] ~ Normal(0, 1)
  }
}
