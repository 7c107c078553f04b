# code: E013
# `x` is a bool; line 3 of the file says `maybe`.
data "tests/data/csv/wrong_type.csv"
x ~ Bernoulli(?)
y ~ Bernoulli(?[x])
query P(y)
