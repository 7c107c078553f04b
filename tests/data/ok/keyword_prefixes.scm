index ~ Normal(0, 1)
match_dropped := index > 0
iffy := not match_dropped
query P(iffy)
