# code: E001
arm ~ Bernoulli(0.5)
win ~ Bernoulli(if arm then 0.6 else 0.4)
bandit arm reward win runs 10 policies greedy
