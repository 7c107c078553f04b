# code: E006
x ~ Bernoulli(0.5)
y := 1 / x
query E[y]
