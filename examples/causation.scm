# Probabilities of causation under the monotone noise coupling (docs/language.md).
# With U ~ Uniform(0, 1), y is true when U > 1 - p: under x, U > 0.2; under not x, U > 0.7.
# PNS = P(0.2 < U <= 0.7) = 0.5; PN = P(U <= 0.7 | U > 0.2) = 0.5/0.8 = 0.625;
# PS = P(U > 0.2 | U <= 0.7) = 0.5/0.7 = 0.7142857143; ETT = 0.8 - 0.3 = 0.5.
x ~ Bernoulli(0.5)
y ~ Bernoulli(if x then 0.8 else 0.3)

query P(y[do(x = true)] and not y[do(x = false)])    # exact: 0.5
query P(not y[do(x = false)] | x, y)                 # exact: 0.625
query P(y[do(x = true)] | not x, not y)              # exact: 0.7142857143
query E[y[do(x = true)] - y[do(x = false)] | x]      # exact: 0.5
