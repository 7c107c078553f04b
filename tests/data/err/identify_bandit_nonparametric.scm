# code: E014
data "tests/data/csv/xy.csv"
x -> y
bandit x in {true, false} reward y rounds 10 runs 2 policies greedy
