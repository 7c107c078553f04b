# code: E013
data "tests/data/csv/empty.csv"
x ~ Bernoulli(?)
query P(x)
