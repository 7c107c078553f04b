# Sprinkler network (Russell & Norvig): observation versus intervention.
# Exact answers by enumeration of the 16 joint states (see ../shared/bench/MODELS.md):
#   P(R=1, W=1) = 0.4581, P(W=1) = 0.6471.
cloudy    ~ Bernoulli(0.5)
sprinkler ~ Bernoulli(if cloudy then 0.1 else 0.5)
rain      ~ Bernoulli(if cloudy then 0.8 else 0.2)
wet       ~ Bernoulli(match (sprinkler, rain) {
              (true, true) => 0.99,
              (true, false) => 0.90,
              (false, true) => 0.90,
              _ => 0.0 })

query P(rain | wet)                      # exact: 0.7079276773
query P(wet | do(sprinkler = true))      # exact: 0.945
query P(cloudy | do(sprinkler = true))   # exact: 0.5
query P(cloudy | sprinkler = true)       # exact: 0.1666666667
