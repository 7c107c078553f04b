# code: E003
for i in 1..3 {
  x ~ Normal(0, 1)
}
