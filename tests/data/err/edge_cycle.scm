# code: E004
a -> b -> c
c -> a
identify P(c | do(a))
