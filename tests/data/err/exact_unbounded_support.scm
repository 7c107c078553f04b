# code: E010
# method: exact
# A count with no upper bound has no finite table.
arrivals ~ Poisson(3)
busy := arrivals > 4
query P(busy)
