# Pearl's firing squad (Causality, ch. 7): a counterfactual with explicit exogenous noise.
# Exact, by enumerating (order, nervous): P(dead) = 0.7 + 0.3*0.1 = 0.73;
# had A not fired, given the prisoner is dead: dead requires the order unless A was nervous,
# P(order | dead) = 0.7/0.73 = 0.9589041096.
exogenous order ~ Bernoulli(0.7)
exogenous nervous ~ Bernoulli(0.1)
captain := order
rifleman_a := captain or nervous
rifleman_b := captain
dead := rifleman_a or rifleman_b

query P(dead)                                   # exact: 0.73
query P(dead[do(rifleman_a = false)] | dead)    # exact: 0.9589041096
query P(dead | do(rifleman_a = false))          # exact: 0.7
