# Kidney stones (Charig et al. 1986): Simpson's paradox, with labels.
# Exact: P(rec | do(A)) = 0.51*81/87 + 0.49*192/263 = 0.8325462174 (with P(small) = 357/700);
#        P(rec | do(B)) = 0.51*234/270 + 0.49*55/80 = 0.778875; observationally 273/350 and 289/350.
size ~ Categorical("small": 357, "large": 343)
treatment ~ Categorical("A": if size == "small" then 87 else 263,
                        "B": if size == "small" then 270 else 80)
recovered ~ Bernoulli(match (treatment, size) {
              ("A", "small") => 81 / 87,
              ("A", "large") => 192 / 263,
              ("B", "small") => 234 / 270,
              ("B", "large") => 55 / 80 })

query P(recovered | treatment = "A")        # exact: 0.78
query P(recovered | treatment = "B")        # exact: 0.8257142857
query P(recovered | do(treatment = "A"))    # exact: 0.8325462174
query P(recovered | do(treatment = "B"))    # exact: 0.7788750000
query effect = P(recovered | do(treatment = "A")) - P(recovered | do(treatment = "B"))   # exact: 0.0536712174
