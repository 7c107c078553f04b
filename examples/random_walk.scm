# A random walk of 25 steps with drift 0.2: pos[t] = pos[t - 1] + 0.2 + noise, unit variances.
# pos[t] has mean 0.2 t and variance t + 1; pos[10] and pos[25] have covariance 11.
pos[0] ~ Normal(0, 1)
for t in 1..25 {
  pos[t] ~ Normal(pos[t - 1] + 0.2, 1)
}

query E[pos[25]]    # exact: 5
# The future given the present: 4 + 15 * 0.2.
query E[pos[25] | pos[10] = 4]    # exact: 7
# The past given the future: 2 + 11 / 26 * (0 - 5).
query E[pos[10] | pos[25] = 0]    # exact: -0.11538461538461542
# Counterfactual: a walk seen to end at 3, had it been reset to 0 at step 10. The reset keeps the
# last 15 steps' noise, whose mean given the ending is 15 * (3 - 5) / 26: 3 - 30 / 26.
query E[pos[25][do(pos[10] = 0)] | pos[25] = 3]    # exact: 1.8461538461538463
