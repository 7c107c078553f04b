# code: E005
for i in 1..3 {
  x[i] ~ Normal(0, 1)
}
query E[sum(x[i] for i in 3..1)]
