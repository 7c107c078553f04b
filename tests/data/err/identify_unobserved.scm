# code: E014
exogenous u ~ Bernoulli(0.5)
x ~ Bernoulli(if u then 0.8 else 0.2)
y ~ Bernoulli(if x and u then 0.9 else 0.1)
identify P(y | do(u))
