# A mixture mechanism: the test's result distribution depends on whether one is ill.
# Exact: P(result = "pos") = 0.1*0.9 + 0.9*0.05 = 0.135; P(ill | pos) = 0.09/0.135 = 0.6666666667.
# The severity of the ill is Gamma(2, 1) (mean 2); of the well, exactly 0.
ill ~ Bernoulli(0.1)
result ~ if ill then Categorical("pos": 0.9, "neg": 0.1) else Categorical("pos": 0.05, "neg": 0.95)
severity ~ if ill then Gamma(2, 1) else Uniform(0, 0.000001)

query P(result = "pos")               # exact: 0.135
query P(ill | result = "pos")         # exact: 0.6666666667
query E[severity | ill]               # exact: 2.0
