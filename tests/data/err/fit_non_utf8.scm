# code: E013
data "tests/data/csv/non_utf8.csv"
x ~ Bernoulli(?)
query P(x)
