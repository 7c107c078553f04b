# code: E005
set prior = -1
coin ~ Bernoulli(?)
query P(coin)
