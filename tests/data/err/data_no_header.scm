# code: E013
data "tests/data/csv/no_header.csv"
x -> y
query P(y | do(x = true))
