# code: E013
# Every row has x = true: P(y | x = false) has no rows.
data "tests/data/csv/x_always_true.csv"
x -> y
query P(y | do(x = false))
