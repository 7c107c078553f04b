# code: E012
decision test in bool
result ~ Bernoulli(if test then 0.9 else 0.1)
query P(result)
