# code: E001
x ~ Bernoulli(0.5)
y := match x { true => 1, false => 0
query E[y]
