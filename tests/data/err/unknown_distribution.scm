# code: E002
x ~ Normall(0, 1)
