# code: E005
decision arm in {0, 1}
payout ~ Bernoulli(if arm == 1 then 0.6 else 0.4)
bandit arm reward payout rounds 100 runs 10 policies epsilon_greedy(2)
