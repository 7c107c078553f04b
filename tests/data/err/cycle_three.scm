# code: E004
a := c
b := a
c := b
