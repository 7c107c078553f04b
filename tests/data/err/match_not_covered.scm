# code: E005
x ~ Bernoulli(0.5)
y ~ Bernoulli(match x { true => 0.9 })
