# code: E001
température ~ Normal(20, 5)
