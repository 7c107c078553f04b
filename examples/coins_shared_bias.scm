# 200 coin flips with one shared, unknown bias: a family of 200 members in three lines.
# The bias has a Beta(2, 2) prior, so after h heads in n flips it is Beta(2 + h, 2 + n - h)
# (conjugacy), which gives every answer below by hand.
bias ~ Beta(2, 2)
for i in 1..200 {
  flip[i] ~ Bernoulli(bias)
}
heads := count(flip[i] for i in 1..200)

# Before any flip is seen: E[heads] = 200 * E[bias] = 100.
query E[heads]    # exact: 100
# 120 heads then 80 tails: the posterior mean is (2 + 120) / (4 + 200) = 122 / 204.
query E[bias | flip[i] for i in 1..120, not flip[i] for i in 121..200]    # exact: 0.5980392156862745
# The next flip after 120 heads in 199 flips: (2 + 120) / (4 + 199) = 122 / 203.
query P(flip[200] | flip[i] for i in 1..120, not flip[i] for i in 121..199)    # exact: 0.6009852216748769
