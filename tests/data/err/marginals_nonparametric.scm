# code: E014
# P(*) needs every variable's mechanism; `x` and `y` are known only by their edges and data.
data "tests/data/csv/xyz.csv"
z -> x -> y
z -> y
query P(* | z)
