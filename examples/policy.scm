# A policy intervention: treat exactly the old. Age group and recovery:
#   P(old) = 0.3; P(recover | dose, old): dose raises recovery by 0.3 for the old, 0.05 for the young.
# Exact: E[recover | do(dose = if old then 1 else 0)] = 0.3*(0.4+0.3) + 0.7*0.8 = 0.77;
#        treating nobody: 0.3*0.4 + 0.7*0.8 = 0.68; treating everybody: 0.3*0.7 + 0.7*0.85 = 0.805.
old ~ Bernoulli(0.3)
dose ~ Bernoulli(if old then 0.2 else 0.6)
recover ~ Bernoulli(if old then 0.4 + 0.3 * dose else 0.8 + 0.05 * dose)

query P(recover | do(dose = if old then 1 else 0))   # exact: 0.77
query P(recover | do(dose = 0))                      # exact: 0.68
query P(recover | do(dose = 1))                      # exact: 0.805
