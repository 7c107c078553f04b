# code: E005
x ~ Bernoulli(0.5)
y := if x then 1 else "no"
