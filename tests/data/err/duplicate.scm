# code: E003
x ~ Normal(0, 1)
x := 2
