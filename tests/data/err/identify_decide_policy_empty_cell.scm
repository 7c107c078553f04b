# code: E013
data "tests/data/csv/xyz.csv"
z -> x -> y
z -> y
decide x in {true, false} maximize P(y) given z
