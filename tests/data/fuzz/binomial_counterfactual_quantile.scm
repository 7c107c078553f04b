# Found by the sampling/exact property test: Binomial noise pushed through statrs' generic
# inverse CDF in a counterfactual world panicked inside its bisection.
v0 ~ Bernoulli(0.3)
v1 ~ Binomial(2, if v0 then 0.1 else 0.9)
query P(v1[do(v0 = true)] == 0 | v1 == 2)
query P(v1[do(v0 = false)] == 2 | v1 == 0)
