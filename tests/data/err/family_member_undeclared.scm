# code: E002
# A walk that reaches back before its first member.
state[0] ~ Normal(0, 1)
for t in 1..5 {
  state[t] ~ Normal(state[t - 1], 1)
}
query E[state[-1]]
