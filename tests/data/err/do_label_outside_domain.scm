# code: E008
treatment ~ Categorical("A": 0.5, "B": 0.5)
recovered ~ Bernoulli(if treatment == "A" then 0.8 else 0.7)
query P(recovered | do(treatment = "b"))
