# code: E005
let half = 7 / 2
for i in 1..half {
  x[i] ~ Normal(0, 1)
}
