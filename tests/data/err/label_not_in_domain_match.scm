# code: E005
weather ~ Categorical("sunny": 0.7, "rainy": 0.3)
umbrella ~ Bernoulli(match weather { "rainy" => 0.9, "snowy" => 0.5, _ => 0.1 })
query P(umbrella)
