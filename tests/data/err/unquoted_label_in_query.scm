# code: E002
weather ~ Categorical("sunny": 0.7, "rainy": 0.3)
query P(weather = sunny)
