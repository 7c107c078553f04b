# code: E002
for t in 1..3 {
  a[t] ~ Bernoulli(0.5)
}
query P(a[3] | do(a[t] = true for t in 0..2))
