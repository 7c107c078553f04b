# code: E003
let k = 1
let k = 2
x ~ Normal(k, 1)
