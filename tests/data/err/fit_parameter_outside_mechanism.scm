# code: E013
# A ? is learned from the rows of a stochastic variable; a deterministic one has none.
data "tests/data/csv/xy.csv"
x ~ Bernoulli(0.5)
y := x and ? > 0.5
query P(y)
