# code: E013
data "tests/data/csv/ragged.csv"
x ~ Bernoulli(?)
query P(x)
