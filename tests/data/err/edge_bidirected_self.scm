# code: E014
x -> y
x <-> x
identify P(y | do(x))
