# code: E013
# The file has `foggy`, which `w` cannot take.
data "tests/data/csv/label.csv"
w ~ Categorical("sunny": ?, "rainy": ?)
query P(w)
