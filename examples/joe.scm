# Pearl, Glymour & Jewell, Primer section 4.2: Joe's score had he done twice the homework.
# Abduction gives his noises exactly (e_h = 0.75, e_y = 0.75), so y[do(h = 2)] = 0.7*0.5 + 0.4*2 + 0.75 = 1.9.
x ~ Normal(0, 1)
h ~ Normal(0.5 * x, 1)
y ~ Normal(0.7 * x + 0.4 * h, 1)

query E[y[do(h = 2)] | x = 0.5, h = 1, y = 1.5]    # exact: 1.9
query E[y | do(h = 2)]                             # exact: 0.8
