# A shift intervention: everybody's income rises by 1000 (in thousands: 1).
# spending = 0.6 * income + noise; income ~ N(30, 5).
# Exact: E[spending | do(income = income + 1)] = 0.6 * 31 = 18.6; natural E[spending] = 18.
income ~ Normal(30, 5)
spending ~ Normal(0.6 * income, 2)

query E[spending | do(income = income + 1)]   # exact: 18.6
query E[spending]                             # exact: 18.0
query E[income | do(income = income + 1)]     # exact: 31.0
