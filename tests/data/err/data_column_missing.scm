# code: E014
# The back-door estimand needs `z`, which the file does not have: z is then unobserved, and
# the effect is not identifiable.
data "tests/data/csv/xy.csv"
z -> x -> y
z -> y
query P(y | do(x = true))
