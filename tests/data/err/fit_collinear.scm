# code: E013
# dose is 1 in every row: the intercept and the slope cannot be told apart.
data "tests/data/csv/constant_dose.csv"
dose ~ Normal(0, 1)
y ~ Normal(? + ? * dose, ?)
query E[y]
