# code: E014
# P(y | do(x)) alone is P(y | x); conditioning on z, which shares hidden causes with both
# x and y, makes it not identifiable (IDC fails).
data "tests/data/csv/xyz.csv"
x -> y
x -> z
y <-> z
x <-> z
query P(y | do(x = true), z)
