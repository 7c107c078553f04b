"""Model.fit: `?` parameters estimated from a path, a dict of columns or a pandas DataFrame,
checked against the counts and least squares worked by hand."""

import math
import pickle

import pytest

import whatif

# A coin and a weight read off a line: y = 2 + 3 x + noise.
MODEL = """
coin ~ Bernoulli(?p)
x ~ Normal(0, 1)
y ~ Normal(?a + ?b * x, ?s)
query P(coin)
"""

COIN = [True, False, True, True]  # p = 3/4
X = [0.0, 1.0, 2.0, 3.0]
Y = [2.1, 4.9, 8.1, 10.9]  # least squares: b = 2.96, a = 2.06


def by_hand():
    n = len(X)
    mx, my = sum(X) / n, sum(Y) / n
    b = sum((x - mx) * (y - my) for x, y in zip(X, Y)) / sum((x - mx) ** 2 for x in X)
    return my - b * mx, b


def estimates(model):
    return {p["name"]: p["value"] for p in model.fit_summary["parameters"]}


def check(fitted):
    a, b = by_hand()
    assert fitted.ask("P(coin)").value == pytest.approx(0.75, abs=1e-12)
    found = estimates(fitted)
    assert found["p"] == pytest.approx(0.75, abs=1e-12)
    assert found["a"] == pytest.approx(a, abs=1e-9)
    assert found["b"] == pytest.approx(b, abs=1e-9)
    assert fitted.fit_summary["rows"] == 4


def test_fit_from_a_dict_of_columns():
    model = whatif.Model(MODEL)
    assert model.fit_summary is None
    check(model.fit({"coin": COIN, "x": X, "y": Y, "unused": ["a", "b", "c", "d"]}))


def test_fit_from_a_csv_path(tmp_path):
    path = tmp_path / "obs.csv"
    rows = "\n".join(f"{str(c).lower()},{x},{y}" for c, x, y in zip(COIN, X, Y))
    path.write_text("coin,x,y\n" + rows + "\n")
    check(whatif.Model(MODEL).fit(path))
    check(whatif.Model(MODEL).fit(str(path)))


def test_fit_from_a_dataframe_with_numpy_cells_and_missing_values():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"coin": COIN + [None], "x": X + [float("nan")], "y": Y + [1.0]})
    # The fifth row misses its coin and its x: it counts for nothing that needs them.
    fitted = whatif.Model("coin ~ Bernoulli(?p)\nquery P(coin)").fit(frame)
    assert fitted.ask("P(coin)").value == pytest.approx(0.75, abs=1e-12)


def test_a_fitted_model_pickles_with_its_estimates():
    fitted = whatif.Model(MODEL).fit({"coin": COIN, "x": X, "y": Y})
    again = pickle.loads(pickle.dumps(fitted))
    assert again.ask("E[y | do(x = 1)]").value == pytest.approx(
        fitted.ask("E[y | do(x = 1)]").value, abs=1e-9
    )
    assert math.isclose(again.ask("P(coin)").value, 0.75)


def test_bad_data_raises_with_its_code():
    model = whatif.Model(MODEL)
    with pytest.raises(whatif.DataError) as error:
        model.fit({"coin": ["true", "maybe"], "x": [1, 2], "y": [1, 2]})
    assert error.value.code == "E013"
    assert "maybe" in str(error.value)
    with pytest.raises(TypeError, match="fit takes"):
        model.fit(42)
    with pytest.raises(whatif.DataError):
        model.fit("no/such/file.csv")
