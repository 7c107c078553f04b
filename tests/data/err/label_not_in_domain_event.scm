# code: E005
weather ~ Categorical("sunny": 0.7, "rainy": 0.3)
umbrella ~ Bernoulli(if weather == "rainy" then 0.9 else 0.1)
query P(umbrella | weather = "suny")
