# code: E009
exogenous mood ~ Bernoulli(0.5)
act ~ Bernoulli(0.5)
win ~ Bernoulli(if act then 0.6 else 0.4)
decide act in bool maximize E[win] given mood
