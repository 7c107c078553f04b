# code: E001
x ~ Bernoulli(0.5)
y := x ? 1 : 2
