# code: E013
# y is true exactly where x > 0: the slope of the likelihood runs to infinity.
data "tests/data/csv/separated.csv"
x ~ Normal(0, 1)
y ~ Bernoulli(sigmoid(? + ? * x))
query P(y)
