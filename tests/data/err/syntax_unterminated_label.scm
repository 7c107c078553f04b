# code: E001
w ~ Categorical("sunny: 0.5, "rainy": 0.5)
