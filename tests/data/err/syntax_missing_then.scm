# code: E001
x ~ Bernoulli(0.5)
y := if x 1 else 0
