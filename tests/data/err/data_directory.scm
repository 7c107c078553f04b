# code: E013
data "tests/data/csv"
x -> y
query P(y | do(x = true))
