# A confounded treatment decision: the severe are treated more often, so treatment looks
# harmful in the data (evidential ranking), yet it helps (interventional ranking).
# Exact: E[U | do(treat)] = 100*(0.5*0.5 + 0.5*0.82) - 5 = 61; E[U | do(no treat)] = 100*(0.5*0.3 + 0.5*0.8) = 55.
# Observing severity first: treat the severe (100*0.5 - 5 = 45 > 30), not the others (80 > 82 - 5 = 77):
# 0.5*45 + 0.5*80 = 62.5.
severe ~ Bernoulli(0.5)
treat ~ Bernoulli(if severe then 0.9 else 0.1)
recover ~ Bernoulli(match (treat, severe) {
            (true, true) => 0.5, (false, true) => 0.3,
            (true, false) => 0.82, (false, false) => 0.8 })
utility := 100 * recover - 5 * treat

query E[utility | do(treat = true)]                       # exact: 61.0
query E[utility | do(treat = false)]                      # exact: 55.0
decide treat in {false, true} maximize E[utility]         # exact: 61.0
decide treat in {false, true} maximize E[utility] given severe   # exact: 62.5
