# code: E013
data "tests/data/csv/no_such_file.csv"
x ~ Bernoulli(?)
query P(x)
