# code: E009
age ~ Normal(50, 10)
decision treat in bool
benefit := if treat then age / 10 - 4 else 0
decide treat maximize E[benefit] given age
