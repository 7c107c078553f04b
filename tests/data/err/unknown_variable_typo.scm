# code: E002
rain ~ Bernoulli(0.3)
umbrella ~ Bernoulli(if rian then 0.8 else 0.1)
