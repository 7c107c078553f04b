# Mediation: how much of a treatment's effect goes through adherence, and how much is direct.
# Natural direct and indirect effects are nested counterfactuals: adherent[treat = false] is the
# adherence the same patient would have had untreated. Worked by hand in docs/counterfactuals.md:
#   P(adherent | treat) = 0.8 treated, 0.4 untreated
#   P(recover | treat, adherent) = 0.9, 0.6 treated (adherent, not); 0.5, 0.3 untreated
#   P(recover[treat = false]) = 0.4 * 0.5 + 0.6 * 0.3 = 0.38
#   NDE = 0.4 * (0.9 - 0.5) + 0.6 * (0.6 - 0.3) = 0.34
#   NIE = (0.8 - 0.4) * (0.5 - 0.3) = 0.08
#   total = 0.8 * 0.9 + 0.2 * 0.6 - 0.38 = 0.46 = NDE + the indirect effect among the treated,
#   (0.8 - 0.4) * (0.9 - 0.6) = 0.12
treat ~ Bernoulli(0.5)
adherent ~ Bernoulli(if treat then 0.8 else 0.4)
recover ~ Bernoulli(if treat then (if adherent then 0.9 else 0.6) else (if adherent then 0.5 else 0.3))

query total = P(recover[treat = true]) - P(recover[treat = false])    # exact: 0.46
query nde = P(recover[treat = true, adherent = adherent[treat = false]]) - P(recover[treat = false])    # exact: 0.34
query nie = P(recover[treat = false, adherent = adherent[treat = true]]) - P(recover[treat = false])    # exact: 0.08
query nie_treated = P(recover[treat = true]) - P(recover[treat = true, adherent = adherent[treat = false]])    # exact: 0.12
# An untreated, non-adherent patient who did not recover: had they been treated with their own
# (untreated) adherence, they recover when their noise lies in (0.4, 0.7] of the (0, 0.7] that
# "did not recover" leaves: 0.3 / 0.7.
query P(recover[treat = true, adherent = adherent[treat = false]] | treat = false, adherent = false, recover = false)    # exact: 0.42857142857142855
