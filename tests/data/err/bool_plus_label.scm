# code: E005
w ~ Categorical("sun": 1, "rain": 1)
y := w + 1
