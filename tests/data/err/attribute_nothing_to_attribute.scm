# code: E005
# A constant target: no noise influences it, so there is nothing to attribute.
let k = 3
fixed := k * 2
z ~ Normal(0, 1)
attribute fixed given z > 0
