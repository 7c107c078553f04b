# code: E001
x ~ Normal(0, 1)
}
