# code: E013
x -> y
query P(y | do(x = true))
