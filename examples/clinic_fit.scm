# Learning a clinic's mechanisms from its records (LANGUAGE.md §12; docs/fitting.md). The data
# (clinic_fit.csv, 2,000 rows, one cost in 50 missing) was drawn from a known model by
# scripts/generate_clinic_fit.py, which also computes the answers annotated below from the rows
# by hand: the fitted model's answers, not the truth (0.74, 0.465, 0.234 and 142.5).
data "clinic_fit.csv"
severity  ~ Categorical("mild": ?, "severe": ?)
treated   ~ Bernoulli(?[severity])                       # one probability per severity
recovered ~ Bernoulli(?[treated, severity])              # a table: counts per cell
cost      ~ Normal(? + ? * treated + ? * (severity == "severe"), ?)   # least squares

query P(recovered | do(treated = true))      # exact: 0.7365846201568834
query P(recovered | do(treated = false))     # exact: 0.4643936953983655
query P(severity = "severe" | recovered)     # exact: 0.23801652892561984
query E[cost | do(treated = true)]           # exact: 142.5457306438126
