# code: E005
let c = 1 / 0
x := c + 1
y := 2 * c
