# code: E001
# `P(*)` takes conditions after `|`, not a target beside the `*`.
rain ~ Bernoulli(0.2)
query P(*, rain)
