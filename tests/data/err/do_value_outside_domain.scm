# code: E008
rain ~ Bernoulli(0.3)
wet := rain
query P(wet | do(rain = 2))
