# code: E008
# One variable cannot be two players.
price ~ Normal(10, 1)
revenue := 3 * price
attribute E[revenue] to do(price = 9, price = 8)
