# code: E008
# A nested counterfactual whose value reads a variable its own target causes.
x ~ Bernoulli(0.4)
y ~ Bernoulli(if x then 0.7 else 0.2)
query P(y[do(x = y[do(x = false)])])
