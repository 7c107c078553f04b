# code: E013
# x is always true in the file: the cell x = false of the table has no rows and no prior.
data "tests/data/csv/x_always_true.csv"
x ~ Bernoulli(?)
y ~ Bernoulli(?[x])
query P(y)
