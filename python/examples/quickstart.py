# %% [markdown]
# # whatif from Python: a notebook-style tour
#
# Each `# %%` block is a notebook cell (open this file in Jupyter with jupytext, or in VS Code,
# or run it as a script: `python examples/quickstart.py`). The test suite runs it
# (python/tests/test_examples.py), so every number printed here is checked.

# %%
import whatif

model = whatif.Model("""
size      ~ Categorical("small": 357, "large": 343)
treatment ~ Categorical("A": if size == "small" then 87 else 263,
                        "B": if size == "small" then 270 else 80)
recovered ~ Bernoulli(match (treatment, size) {
              ("A", "small") => 81 / 87,  ("A", "large") => 192 / 263,
              ("B", "small") => 234 / 270, ("B", "large") => 55 / 80 })
""")
model.graph()  # a notebook draws it where Graphviz is installed; here, its DOT text

# %% [markdown]
# Simpson's paradox (Charig et al. 1986): B looks better in the data, A is better when assigned.
# This model is finite, so the default method answers exactly.

# %%
seen_a = model.ask('P(recovered | treatment = "A")')
seen_b = model.ask('P(recovered | treatment = "B")')
do_a = model.ask('P(recovered | do(treatment = "A"))')
do_b = model.ask('P(recovered | do(treatment = "B"))')
print(f"observed:   A {seen_a.value:.4f}  B {seen_b.value:.4f}")
print(f"intervened: A {do_a.value:.4f}  B {do_b.value:.4f}  ({do_a.method})")
assert seen_a.value < seen_b.value and do_a.value > do_b.value
assert abs(do_a.value - (0.51 * 81 / 87 + 0.49 * 192 / 263)) < 1e-3  # P(small) = 357/700 = 0.51

# %% [markdown]
# The same question by importance sampling: a standard error and an effective sample size come
# with it, and one seed fixes every number.

# %%
sampled = model.ask('P(recovered | do(treatment = "A"))', method="is", samples=200_000, seed=1)
print(sampled, "ESS", sampled.ess)
assert abs(sampled.value - do_a.value) < 5 * sampled.stderr

# %% [markdown]
# A counterfactual: among patients given B who did not recover, how many would have with A?
# Distributions come back as tables; `to_frame()` makes a pandas DataFrame when pandas is
# installed.

# %%
cf = model.ask('P(recovered[do(treatment = "A")] | treatment = "B", not recovered)')
print(cf)
weather = whatif.Model('w ~ Categorical("sun": 0.6, "rain": 0.4)').ask("P(w)")
print(weather.value)
try:
    print(weather.to_frame())
except ImportError as missing:
    print(missing)

# %% [markdown]
# Mistakes raise `whatif.WhatifError` with the code, the location and the hint.

# %%
try:
    model.ask("P(recoverd)")
except whatif.WhatifError as e:
    print(e.code, e.line, e.column)
    print(e)
