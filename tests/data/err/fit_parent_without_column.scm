# code: E013
# z has no column: y's table over z cannot be learned.
data "tests/data/csv/xy.csv"
z ~ Bernoulli(0.5)
y ~ Bernoulli(?[z])
query P(y)
