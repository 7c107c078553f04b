# code: E013
coin ~ Bernoulli(?p)
query P(coin)
