# code: E003
# By the loop and alone.
for t in 0..3 {
  s[t] ~ Normal(0, 1)
}
s[0] ~ Normal(1, 1)
