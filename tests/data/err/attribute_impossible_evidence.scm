# code: E007
# Evidence no world satisfies (y is at most 2): no coalition's value exists.
a ~ Bernoulli(0.3)
y := 2 * a
attribute y given y > 2
