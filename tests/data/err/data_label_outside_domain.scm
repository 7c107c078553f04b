# code: E013
data "tests/data/csv/label.csv"
w ~ Categorical("sunny": 0.7, "rainy": 0.3)
w -> y
query P(y | do(w = "sunny"))
