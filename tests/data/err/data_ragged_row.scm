# code: E013
data "tests/data/csv/ragged.csv"
x -> y
query P(y | do(x = true))
