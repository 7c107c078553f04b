# code: E005
w ~ Categorical("sun": 1, "rain": 1)
y := if w then 1 else 0
