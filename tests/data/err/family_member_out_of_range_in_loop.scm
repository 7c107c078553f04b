# code: E002
# The loop reads one member past the end of the family.
for t in 1..5 {
  x[t] ~ Normal(0, 1)
  y[t] := x[t + 1]
}
