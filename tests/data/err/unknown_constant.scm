# code: E002
let a = b + 1
x ~ Normal(a, 1)
