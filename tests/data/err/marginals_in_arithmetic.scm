# code: E005
# P(*) is a set of distributions: it cannot be a term of arithmetic.
rain ~ Bernoulli(0.2)
wet ~ if rain then Bernoulli(0.9) else Bernoulli(0.1)
query d = P(* | wet) - P(rain)
