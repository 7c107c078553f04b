# code: E010
for i in 1..100000 {
  for j in 1..100000 {
    cell[i][j] ~ Bernoulli(0.5)
  }
}
