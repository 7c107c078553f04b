# code: E001
x ~ Bernoulli(0.5)
y ~ Bernoulli(if x then 0.9)
