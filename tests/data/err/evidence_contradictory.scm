# code: E007
# Two observations of one variable that cannot both hold.
x ~ Bernoulli(0.3)
y ~ Bernoulli(if x then 0.9 else 0.2)
query P(y | x, not x)
