# code: E002
rain ~ Bernoulli(0.2)
wet := rain or True
