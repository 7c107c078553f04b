# code: E014
data "tests/data/csv/xyz.csv"
decision x in {true, false}
decision z in {true, false}
z -> y
x -> y
decide x then z maximize P(y)
