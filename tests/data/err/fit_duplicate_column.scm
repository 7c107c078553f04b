# code: E013
data "tests/data/csv/duplicate.csv"
x ~ Bernoulli(?)
query P(x)
