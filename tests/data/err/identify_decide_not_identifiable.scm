# code: E014
data "tests/data/csv/xy.csv"
x -> y
x <-> y
decide x in {true, false} maximize P(y)
