# A stochastic intervention: the dose is randomised uniformly on [0, 2] instead of chosen.
# response = 3 * dose + N(0, 1). Exact: E[response | do(dose ~ Uniform(0, 2))] = 3 * 1 = 3;
# P(response > 3 | do(dose ~ Uniform(0, 2))) = 0.5 by symmetry of dose around 1 and of the noise.
need ~ Normal(0, 1)
dose ~ Normal(1 + need, 0.5)
response ~ Normal(3 * dose, 1)

query E[response | do(dose ~ Uniform(0, 2))]       # exact: 3.0
query P(response > 3 | do(dose ~ Uniform(0, 2)))   # exact: 0.5
query E[response]                                  # exact: 3.0
