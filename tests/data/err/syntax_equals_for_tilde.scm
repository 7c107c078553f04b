# code: E001
y = Bernoulli(0.3)
