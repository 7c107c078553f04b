# code: E012
# The target depends on a decision that nothing sets: the empty coalition has no value.
decision dose in {0, 1}
recovery ~ Normal(dose, 1)
attribute recovery given recovery > 1
