# code: E007
# method: smc
# Sequential Monte Carlo starts from prior draws: evidence none of them meets is E007.
x ~ Uniform(0, 1)
query E[x | x > 2]
