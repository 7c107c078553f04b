# code: E013
data "tests/data/csv/xy.csv"
exogenous u ~ Bernoulli(?)
y ~ Bernoulli(if u then 0.9 else 0.1)
query P(y)
