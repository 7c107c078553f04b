# code: E005
x ~ Bernoulli("yes")
