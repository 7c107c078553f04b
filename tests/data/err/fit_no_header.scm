# code: E013
# The first row is data, so no column is named like a variable.
data "tests/data/csv/no_header.csv"
x ~ Bernoulli(?)
query P(x)
