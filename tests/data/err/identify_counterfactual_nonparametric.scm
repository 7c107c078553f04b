# code: E014
data "tests/data/csv/xy.csv"
x -> y
query P(y[do(x = true)] | not y)
