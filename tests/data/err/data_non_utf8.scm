# code: E013
data "tests/data/csv/non_utf8.csv"
x -> y
query P(y | do(x = true))
