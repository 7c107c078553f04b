# code: E004
x := x + 1
