# A sequential decision over three periods (LANGUAGE.md section 11): each period, seeing whether
# the machine was good in the last one, decide whether to service it (cost 0.4). Serviced, it is
# good with probability 0.9; left alone, it stays good with 0.7 and recovers with 0.1. A good
# period earns 1. Backward induction by hand (V[t](g): the best value from period t on):
#   V3(good) = max(0.9 - 0.4, 0.7) = 0.7 (leave)    V3(worn) = max(0.5, 0.1) = 0.5 (service)
#   V2(good) = max(0.9 * 1.7 + 0.1 * 0.5 - 0.4, 0.7 * 1.7 + 0.3 * 0.5) = 1.34 (leave)
#   V2(worn) = max(1.18, 0.1 * 1.7 + 0.9 * 0.5) = 1.18 (service)
#   V1(good) = max(0.9 * 2.34 + 0.1 * 1.18 - 0.4, 0.7 * 2.34 + 0.3 * 1.18) = 1.992 (leave)
#   V1(worn) = max(1.824, 0.1 * 2.34 + 0.9 * 1.18) = 1.824 (service)
#   value = 0.6 * 1.992 + 0.4 * 1.824 = 1.9248: service exactly when the machine is worn.
good[0] ~ Bernoulli(0.6)
for t in 1..3 {
  decision service[t] in bool
  good[t] ~ Bernoulli(if service[t] then 0.9 else if good[t - 1] then 0.7 else 0.1)
}
profit := sum((if good[t] then 1 else 0) - (if service[t] then 0.4 else 0) for t in 1..3)

decide service[t] given good[t - 1] for t in 1..3 maximize E[profit]    # exact: 1.9248
