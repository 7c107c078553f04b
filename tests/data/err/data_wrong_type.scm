# code: E013
# `x` is a bool by its mechanism; the file says `maybe` on line 3.
data "tests/data/csv/wrong_type.csv"
x ~ Bernoulli(0.5)
x -> y
query P(y | do(x = true))
