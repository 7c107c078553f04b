# code: E001
for t in 1..3 {
  y[t] ~ Normal(0, 1)
}
x ~ Normal(0, 1)
query E[y[do(x = 1)][2]]
