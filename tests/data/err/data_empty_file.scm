# code: E013
data "tests/data/csv/empty.csv"
x -> y
query P(y | do(x = true))
