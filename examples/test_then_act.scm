# Test, then act: a sequential decision solved by hand.
# A disease has prior 0.3. A test (cost 1) reads positive with probability 0.9 if ill, 0.2 if well.
# Treating (cost 10) cures the ill (utility 100), untreated ill get 0; the well get 100 either way.
# Without testing: treat all = 100 - 10 = 90; treat none = 0.7*100 = 70.
# With the test: P(pos) = 0.27 + 0.14 = 0.41. After pos: treat (90) vs not (100*0.14/0.41 = 34.1) -> treat.
# After neg: P(ill | neg) = 0.03/0.59; not treating gives 100*0.56/0.59 = 94.92; treating 90 -> don't.
# Value of testing = 0.41*90 + 0.59*94.915254 - 1 = 36.9 + 56.0 - 1 = 91.9 > 90: test, treat if positive.
decision test in bool
decision treat in bool
ill ~ Bernoulli(0.3)
positive := if test then positive_reading else false
positive_reading ~ Bernoulli(if ill then 0.9 else 0.2)
utility := 100 * (if ill then treat else true) - 10 * treat - 1 * test

decide test then treat given positive maximize E[utility]   # exact: 91.9
