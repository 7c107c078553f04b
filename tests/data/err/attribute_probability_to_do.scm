# code: E005
# Intervention players share the credit for one expectation, not a probability.
a ~ Bernoulli(0.5)
b ~ Bernoulli(if a then 0.9 else 0.1)
attribute P(b) to do(a = true)
