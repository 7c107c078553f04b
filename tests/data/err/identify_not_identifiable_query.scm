# code: E014
data "tests/data/csv/xy.csv"
x -> y
x <-> y
query P(y | do(x = true))
