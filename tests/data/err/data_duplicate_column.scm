# code: E013
data "tests/data/csv/duplicate.csv"
x -> y
query P(y | do(x = true))
