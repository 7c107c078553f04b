# A Greedy Casino (Bareinboim, Forney & Pearl 2015): both machines pay 0.4 on average, but
# the gambler's inclination (drunk xor blinking) carries information about the confounders.
# Exact: P(win | do(arm)) = 0.4 for both; P(win[do(arm = true)] | arm = false) = 0.55.
exogenous drunk ~ Bernoulli(0.5)
exogenous blink ~ Bernoulli(0.5)
arm := drunk xor blink
win ~ Bernoulli(match (arm, drunk, blink) {
        (false, false, false) => 0.2, (false, false, true) => 0.6,
        (false, true, false) => 0.5,  (false, true, true) => 0.3,
        (true, false, false) => 0.6,  (true, false, true) => 0.2,
        (true, true, false) => 0.3,   (true, true, true) => 0.5 })


# The bandit benchmark of the decision issue: 1000 rounds × 100 runs × all six policies.
bandit arm in {false, true} reward win rounds 1000 runs 100 policies random, greedy, epsilon_greedy(0.1), ucb1, thompson, causal_thompson
