# code: E005
data "tests/data/csv/xy.csv"
r ~ Normal(0, 1)
y ~ Bernoulli(?[r])
query P(y)
