# A 20-step control problem: a state drifts back towards 0 (factor 0.9) under unit noise, and a
# controller adds a push each step. Its habit is a random push; the policy pushes against the
# state, -0.5 * state[t - 1], which the `for`-suffixed intervention sets at every step.
# By hand: with the habit, the mean is 2 * 0.9^t and the variance v[t] = 0.81 v[t - 1] + 1.25;
# under the policy, 2 * 0.4^t and 0.16 v[t - 1] + 1. The cost sums E[state[t]^2] = mean^2 + v.
let H = 20
state[0] ~ Normal(2, 1)
for t in 1..H {
  push[t] ~ Normal(0, 0.5)
  state[t] ~ Normal(0.9 * state[t - 1] + push[t], 1)
}
cost := sum(state[t] ^ 2 for t in 1..H)

query E[state[H]]    # exact: 0.2431533091811387
query E[cost]    # exact: 124.94714001536757
query E[cost | do(push[t] = -0.5 * state[t - 1] for t in 1..H)]    # exact: 24.53514739229025
query saving = E[cost] - E[cost | do(push[t] = -0.5 * state[t - 1] for t in 1..H)]    # exact: 100.41199262307731
