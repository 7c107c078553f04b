# code: E002
for i in 1..3 {
  x[i] ~ Normal(0, 1)
}
query E[x]
