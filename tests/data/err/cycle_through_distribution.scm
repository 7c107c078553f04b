# code: E004
a ~ Normal(b, 1)
b ~ Normal(c, 1)
c ~ Normal(a, 1)
