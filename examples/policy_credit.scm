# Credit assignment: a shop changed its policy in three parts at once (a price cut, more ads,
# free shipping) and revenue rose. Which part delivered the gain? The old policy is the
# baseline (inside E[...]); each part of the new one is a player. Shapley values split the
# gain, interactions included, so they sum to the whole change. docs/attribution.md works the
# numbers by hand.

decision price in {9, 10}
decision ads in 0..2
decision shipping in bool

visits ~ Normal(10000 + 3000 * ads, 500)
conversion := 0.05 + (if shipping then 0.02 else 0) - 0.006 * (price - 10)
orders := visits * conversion
revenue := orders * price - 500 * ads - (if shipping then 2 * orders else 0)

# Old policy 5,000 a day, new 7,512: ads +2,128, shipping +556, and the price cut -172 (it
# gains 40 on its own, but costs more than that once shipping is free).
attribute E[revenue | do(price = 10, ads = 0, shipping = false)] to do(price = 9, ads = 2, shipping = true)

# The best policy, for comparison: the same ads and free shipping, without the price cut.
decide (price, ads, shipping) maximize E[revenue]
