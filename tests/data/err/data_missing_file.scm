# code: E013
data "tests/data/csv/no_such_file.csv"
x -> y
query P(y | do(x = true))
