# code: E009
state[0] ~ Normal(0, 1)
for t in 1..3 {
  decision act[t] in bool
  state[t] ~ Normal(state[t - 1] + (if act[t] then 1 else 0), 1)
}
decide act[t] given state[t - 1] for t in 1..3 maximize E[state[3]]
