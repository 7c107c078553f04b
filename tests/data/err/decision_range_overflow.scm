# code: E009
# A range as wide as the integers: its width overflows a 64-bit integer.
decision d in bool
u := if d then 1 else 0
decide d in -9223372036854775807..9223372036854775807 maximize E[u]
