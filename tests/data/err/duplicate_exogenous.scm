# code: E003
exogenous u ~ Uniform(0, 1)
exogenous u ~ Normal(0, 1)
