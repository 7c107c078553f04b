# code: E006
x ~ Normal(0, 1)
c ~ Categorical("a": x, "b": 1)
query P(c == "a")
