# code: E005
# Evidence must be a condition.
a ~ Normal(0, 1)
y := a + 1
attribute y given y + 1
