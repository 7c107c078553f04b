# code: E009
exogenous arm ~ Bernoulli(0.5)
win ~ Bernoulli(if arm then 0.6 else 0.4)
bandit arm reward win rounds 10 runs 2 policies greedy
