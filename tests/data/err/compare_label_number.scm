# code: E005
w ~ Categorical("sun": 1, "rain": 1)
query P(w == 3)
