"""whatif.dask: one question sharded over a LocalCluster gives the single-process answer, bit
for bit, however it is split, and still does when a worker dies during the run."""

import os
import signal
import threading
import time

import pytest

import whatif

distributed = pytest.importorskip(
    "distributed", reason="dask.distributed is not installed (pip install 'dask[distributed]')"
)
import whatif.dask  # noqa: E402

# Three blocks of 1,048,576 samples, the last one short.
SAMPLES = 2 * 1_048_576 + 40_000

MODEL = """
x ~ Normal(0, 1)
y ~ Normal(2 * x, 1)
z := exp(x) + y
rain ~ Bernoulli(0.2)
sprinkler ~ Bernoulli(if rain then 0.01 else 0.4)
wet := rain or sprinkler
"""


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def model():
    return whatif.Model(MODEL)


@pytest.mark.parametrize(
    "question",
    ["E[z | y > 1]", "P(rain | wet)", "P(z | x > 0)", "query d = E[z | do(x = 1)] - E[z]"],
)
def test_sharded_answer_is_the_single_process_answer(client, model, question):
    single = model.ask(question, samples=SAMPLES, seed=23, method="is")
    for shards in (None, 1, 2, 3):
        sharded = whatif.dask.ask(
            model, question, samples=SAMPLES, seed=23, method="is", client=client, shards=shards
        )
        assert sharded.to_dict() == single.to_dict(), (question, shards)
    assert single.method == "is" and single.samples == SAMPLES


def test_second_pass_on_wider_edges(client, model):
    # x > 3.5 (probability 2.3e-4) is missed by the pilot run, so both runs draw twice.
    single = model.ask("P(y | x > 3.5)", samples=SAMPLES, seed=3, method="is")
    sharded = whatif.dask.ask(
        model, "P(y | x > 3.5)", samples=SAMPLES, seed=3, method="is", client=client, shards=2
    )
    assert sharded.to_dict() == single.to_dict()


def test_exact_question_runs_no_task(client, model):
    result = whatif.dask.ask(model, "P(rain | wet)", client=client)
    assert result.method == "exact"
    assert result.to_dict() == model.ask("P(rain | wet)").to_dict()


def test_errors(client, model):
    with pytest.raises(whatif.ModelError) as caught:
        whatif.dask.ask(model, "P(rian)", client=client)
    assert (caught.value.code, caught.value.line, caught.value.column) == ("E002", 1, 3)
    with pytest.raises(ValueError, match="shards must be at least 1"):
        whatif.dask.ask(model, "P(rain)", client=client, shards=0)
    with pytest.raises(TypeError, match="shard"):
        whatif.dask.ask(model, "P(rain)", client=client, shard=2)


def test_a_decision_shards_run_after_run(client):
    # Every action's value per context, then the policy's value, then the evidential ranking:
    # three runs, each sharded in turn.
    model = whatif.Model(
        "old ~ Bernoulli(0.3)\n"
        "dose ~ Bernoulli(if old then 0.2 else 0.6)\n"
        "recover ~ Normal(if old then 0.4 + 0.3 * dose else 0.8 - 0.1 * dose, 0.5)\n"
    )
    question = "decide dose in {0, 1} given old maximize E[recover]"
    single = model.ask(question, samples=SAMPLES, seed=8, method="is")
    sharded = whatif.dask.ask(
        model, question, samples=SAMPLES, seed=8, method="is", client=client, shards=2
    )
    assert sharded.to_dict() == single.to_dict()
    assert single.kind == "decision" and single.method == "is"


def test_a_bandit_shards_its_runs(client):
    model = whatif.Model(
        "u ~ Bernoulli(0.5)\n"
        "arm ~ Bernoulli(if u then 0.8 else 0.2)\n"
        "win ~ Bernoulli(if arm == u then 0.7 else 0.4)\n"
    )
    question = "bandit arm in {false, true} reward win rounds 200 runs 40 policies thompson, causal_thompson"
    single = model.ask(question, seed=2)
    for shards in (None, 3):
        sharded = whatif.dask.ask(model, question, seed=2, client=client, shards=shards)
        assert sharded.to_dict() == single.to_dict(), shards


def test_ranges():
    assert whatif.dask.ranges(10, 3) == [(0, 4), (4, 7), (7, 10)]
    assert whatif.dask.ranges(2, 5) == [(0, 1), (1, 2)]
    assert whatif.dask.ranges(0, 4) == []


def test_a_dead_worker_changes_nothing(client, model):
    question, samples = "E[z | y > 1]", 12 * 1_048_576
    single = model.ask(question, samples=samples, seed=5, method="is")
    outcome = {}

    def run():
        outcome["result"] = whatif.dask.ask(
            model, question, samples=samples, seed=5, method="is", client=client, shards=12
        )

    runner = threading.Thread(target=run)
    runner.start()
    victim = None
    deadline = time.monotonic() + 60
    while victim is None and time.monotonic() < deadline and runner.is_alive():
        busy = [w for w, keys in client.processing().items() if keys]
        victim = busy[0] if busy else None
        time.sleep(0.01)
    assert victim is not None, "no task was seen running"
    pid = client.run(os.getpid, workers=[victim])[victim]
    os.kill(pid, signal.SIGKILL)  # the worker process dies mid-task; its nanny restarts it
    runner.join()
    assert outcome["result"].to_dict() == single.to_dict()
    client.wait_for_workers(2, timeout=60)  # the nanny restarted it, for the other tests
