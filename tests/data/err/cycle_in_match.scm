# code: E004
a ~ Bernoulli(match b { true => 0.9, false => 0.1 })
b := not a
