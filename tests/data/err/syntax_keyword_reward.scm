# code: E001
x ~ Bernoulli(0.5)
reward := x
