# code: E002
query E[y[1]]
