# code: E007
x ~ Uniform(0, 1)
query E[x | x > 2]
