# code: E012
decision dose in 0..3
response ~ Normal(dose, 1)
query E[response]
