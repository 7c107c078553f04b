# Smoking, tar and cancer: the model that generated smoking_front_door.csv (see
# scripts/generate_smoking_front_door.py). The genotype is hidden from the data; here it is
# written out, so the exact engine gives the truth the front-door estimate aims at.
# P(cancer | do(smoking = true))  = 0.85·(0.3·0.7 + 0.7·0.4) + 0.15·(0.3·0.5 + 0.7·0.1) = 0.4495
# P(cancer | do(smoking = false)) = 0.15·0.49 + 0.85·0.22 = 0.2605
exogenous genotype ~ Bernoulli(0.3)
smoking ~ Bernoulli(if genotype then 0.8 else 0.2)
tar     ~ Bernoulli(if smoking then 0.85 else 0.15)
cancer  ~ Bernoulli(match (tar, genotype) {
            (true, true) => 0.7,
            (true, false) => 0.4,
            (false, true) => 0.5,
            (false, false) => 0.1 })

# With the genotype unobserved, the effect is identified by the front door:
identify P(cancer | do(smoking))
query P(cancer | do(smoking = true))      # exact: 0.4495
query P(cancer | do(smoking = false))     # exact: 0.2605
query P(cancer | smoking)                 # confounded: larger than the effect
