# code: E013
data "tests/data/csv"
x ~ Bernoulli(?)
query P(x)
