"""Model, ask, run and Result: answers compared with values computed by hand."""

import math
import sys
import threading

import pytest

import whatif
from conftest import P_RAIN_GIVEN_WET, SPRINKLER


def test_exact_answer_by_default(sprinkler):
    result = sprinkler.ask("P(rain | wet)")
    assert result.kind == "probability"
    assert result.method == "exact"
    assert result.value == pytest.approx(P_RAIN_GIVEN_WET, abs=1e-12)
    assert result.stderr == 0.0
    assert result.ess is None and result.samples is None


def test_sampled_answer_within_its_standard_error(sprinkler):
    result = sprinkler.ask("P(rain | wet)", samples=40_000, seed=11, method="is")
    assert result.method == "is"
    assert result.samples == 40_000
    assert 0 < result.ess <= 40_000
    assert result.stderr > 0
    assert abs(result.value - P_RAIN_GIVEN_WET) < 5 * result.stderr


def test_one_seed_fixes_every_number_at_any_thread_count(sprinkler):
    ask = lambda threads: sprinkler.ask(  # noqa: E731
        "P(rain | wet)", samples=50_000, seed=5, method="is", threads=threads
    ).to_dict()
    one, two = ask(1), ask(2)
    assert one == two
    other_seed = sprinkler.ask("P(rain | wet)", samples=50_000, seed=6, method="is")
    assert other_seed.value != one["value"]


def test_an_exact_answer_asked_again_is_the_same(sprinkler):
    # The model keeps its exact answers by question and options: asking again is a lookup
    # that gives an equal, separate result.
    first = sprinkler.ask("P(rain | wet)")
    again = sprinkler.ask("  P(rain | wet) ")
    assert again.to_dict() == first.to_dict()
    # Other options are other questions: a sampled answer is not the kept exact one.
    sampled = sprinkler.ask("P(rain | wet)", method="is", samples=20_000, seed=1)
    assert sampled.method == "is"
    assert sampled.stderr > 0
    # An SMC answer can be asked for by name, as on the command line.
    smc = sprinkler.ask("P(rain | wet)", method="smc", samples=2_000, seed=1)
    assert smc.method in ("smc", "is")
    assert abs(smc.value - P_RAIN_GIVEN_WET) < 5 * smc.stderr + 1e-9
    # Another model keeps its own.
    other = whatif.Model("rain ~ Bernoulli(0.5)\nsprinkler ~ Bernoulli(0.4)\nwet := rain or sprinkler")
    assert other.ask("P(rain | wet)").value == pytest.approx(0.5 / 0.7, abs=1e-12)
    assert sprinkler.ask("P(rain | wet)").value == pytest.approx(P_RAIN_GIVEN_WET, abs=1e-12)


def test_to_dict_is_the_json_object(sprinkler):
    d = sprinkler.ask("P(rain | wet)", samples=1000, seed=1, method="is").to_dict()
    assert d["kind"] == "probability" and d["method"] == "is"
    assert set(d) >= {"query", "line", "method", "kind", "value", "stderr", "ess", "samples"}
    d["value"] = -1.0  # a copy: the result is unchanged
    assert sprinkler.ask("P(rain | wet)", samples=1000, seed=1, method="is").value != -1.0


def test_from_file_and_run(examples):
    model = whatif.Model.from_file(examples / "kidney_stones.scm")
    assert model.name.endswith("kidney_stones.scm")
    assert model.variables == ["size", "treatment", "recovered"]
    results = model.run()
    assert len(results) == len(model.questions) == 5
    # The values the file's `# exact:` annotations state (Charig et al. 1986).
    expected = [0.78, 0.8257142857, 0.8325462174, 0.7788750000, 0.0536712174]
    for result, value in zip(results, expected):
        assert result.value == pytest.approx(value, abs=1e-9)
    assert results[4].name == "effect"


def test_run_options_apply_to_every_question(examples):
    model = whatif.Model.from_file(examples / "kidney_stones.scm")
    results = model.run(method="is", samples=20_000, seed=2)
    assert all(r.method == "is" and r.samples == 20_000 for r in results)


def test_expectation_of_linear_gaussian():
    model = whatif.Model("x ~ Normal(0, 1)\ny ~ Normal(2 * x, 1)")
    result = model.ask("E[y | do(x = 1.5)]")
    assert result.kind == "expectation" and result.method == "exact"
    assert result.value == pytest.approx(3.0, abs=1e-12)


def test_discrete_distribution():
    model = whatif.Model('weather ~ Categorical("sun": 0.5, "rain": 0.3, "snow": 0.2)')
    result = model.ask("P(weather)")
    assert result.kind == "distribution"
    assert result.value == pytest.approx({"sun": 0.5, "rain": 0.3, "snow": 0.2})
    assert result.stderr == {"sun": 0.0, "rain": 0.0, "snow": 0.0}
    sampled = model.ask("P(weather)", method="is", samples=30_000, seed=4)
    for label, p in {"sun": 0.5, "rain": 0.3, "snow": 0.2}.items():
        assert abs(sampled.value[label] - p) < 5 * sampled.stderr[label]


def test_real_distribution_summary():
    # y | x > 0 with x, y standard normal and y = 2x + noise: E[y | x > 0] = 2 * sqrt(2 / pi).
    model = whatif.Model("x ~ Normal(0, 1)\ny ~ Normal(2 * x, 1)")
    result = model.ask("P(y | x > 0)", samples=60_000, seed=9)
    assert result.is_real_distribution and result.method == "is"
    assert abs(result.value - 2 * math.sqrt(2 / math.pi)) < 5 * result.stderr


def test_decision(examples):
    model = whatif.Model.from_file(examples / "treatment.scm")
    result = model.ask("decide treat in {false, true} maximize E[utility]", method="exact")
    assert result.kind == "decision"
    assert result.value == pytest.approx(61.0, abs=1e-9)  # the file's `# exact: 61.0`
    assert result["best"] == {"treat": True}


def test_bandit(examples):
    model = whatif.Model.from_file(examples / "greedy_casino.scm")
    question = "bandit arm in {false, true} reward win rounds 50 runs 4 policies greedy, ucb1"
    result = model.ask(question, seed=3)
    assert result.kind == "bandit" and result.value is None
    assert [p["name"] for p in result["policies"]] == ["greedy", "ucb1"]
    assert result.to_dict() == model.ask(question, seed=3).to_dict()


def test_to_frame_with_pandas(examples):
    pandas = pytest.importorskip("pandas")
    model = whatif.Model('weather ~ Categorical("sun": 0.5, "rain": 0.3, "snow": 0.2)')
    frame = model.ask("P(weather)").to_frame()
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame.columns) == ["value", "p", "stderr"]
    assert list(frame["value"]) == ["sun", "rain", "snow"]
    assert frame["p"].tolist() == pytest.approx([0.5, 0.3, 0.2])
    decision = whatif.Model.from_file(examples / "treatment.scm").ask(
        "decide treat in {false, true} maximize E[utility]"
    )
    actions = decision.to_frame()
    assert list(actions.columns) == ["treat", "value", "stderr", "diff_stderr"]
    assert sorted(actions["value"].tolist()) == pytest.approx([55.0, 61.0])


def test_to_frame_without_pandas(monkeypatch, sprinkler):
    monkeypatch.setitem(sys.modules, "pandas", None)  # `import pandas` now fails
    with pytest.raises(ImportError, match="pip install pandas"):
        sprinkler.ask("P(rain | wet)").to_frame()
    # Everything else works without it.
    assert sprinkler.ask("P(rain | wet)").value == pytest.approx(P_RAIN_GIVEN_WET)


def test_model_is_picklable(sprinkler):
    import pickle

    again = pickle.loads(pickle.dumps(sprinkler))
    assert again.source == sprinkler.source
    assert again.ask("P(rain | wet)").to_dict() == sprinkler.ask("P(rain | wet)").to_dict()


def test_gil_is_released_while_sampling(sprinkler):
    # A long sampled query on another thread; this thread keeps running Python meanwhile.
    done = threading.Event()
    answers = []

    def ask():
        answers.append(sprinkler.ask("P(rain | wet)", samples=3_000_000, seed=1, method="is"))
        done.set()

    worker = threading.Thread(target=ask)
    worker.start()
    ticks_while_running = 0
    while not done.is_set():
        ticks_while_running += 1
        done.wait(0.001)
    worker.join()
    assert answers and answers[0].samples == 3_000_000
    assert ticks_while_running > 1


def test_models_are_shared_between_threads(sprinkler):
    results = [None] * 4

    def ask(i):
        results[i] = sprinkler.ask("P(rain | wet)", samples=20_000, seed=7, method="is")

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.to_dict() == results[0].to_dict() for r in results)


def test_repr(sprinkler):
    assert "0.384615" in repr(sprinkler.ask("P(rain | wet)"))
    assert repr(sprinkler) == "<whatif.Model <model>: 3 variables>"
    assert SPRINKLER.strip() in sprinkler.source


def test_identified_answers_from_data(examples):
    # Pearl's front door, estimated from the example's CSV; the generating model's truth is
    # 0.4495 and 0.2605 (examples/smoking_generating_model.scm).
    model = whatif.Model.from_file(examples / "smoking_front_door.scm")
    results = model.run(seed=1)
    assert results[0].kind not in ("probability", "expectation")  # the identify statement
    by_query = {r.query: r for r in results[1:]}
    smoking = by_query["query P(cancer | do(smoking = true))"]
    not_smoking = by_query["query P(cancer | do(smoking = false))"]
    for result, truth in ((smoking, 0.4495), (not_smoking, 0.2605)):
        assert abs(result.value - truth) < 5 * result.stderr
