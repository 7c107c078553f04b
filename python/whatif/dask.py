"""One question's samples across a Dask cluster, with the numbers of a single run.

::

    from dask.distributed import Client
    import whatif, whatif.dask

    client = Client("scheduler:8786")
    model = whatif.Model.from_file("model.scm")
    result = whatif.dask.ask(model, "E[y | x > 3]", samples=10**10, seed=1, client=client)

A sampled answer is built from blocks of 1,048,576 samples; chunk ``i`` of a block draws from
a generator seeded by ``(seed, question, i)`` alone. :func:`ask` splits the blocks into
``shards`` contiguous ranges, runs each range as a Dask task on any worker, ships each
range's accumulators back as bytes (a *partial*: the blocks' sums, unmerged), merges them in
block order and finishes the answer — the same additions in the same order as one process
makes, so the result equals ``model.ask(question, samples=..., seed=...)`` bit for bit,
whatever the number of workers, shards or threads. A task lost with a dead worker is re-run by
Dask elsewhere, with the same seeds, so the answer does not change either.

A decision samples in several runs, each depending on the ones before (every action's value,
then the best policy's value, the evidential ranking): each run is sharded in turn, finishing
one handing back the next. A bandit's units are its runs (each seeded by its index alone),
split over tasks that each compute the bandit's oracle for themselves. A model with ``?``
parameters fitted with a bootstrap shards each refit's run in turn. Questions that an exact
engine answers are answered on the client (no tasks), as are ``identify`` and ``attribute``.
Needs ``dask[distributed]``.
"""

from __future__ import annotations

import functools
import json
from typing import Any, List, Optional, Tuple

from . import Model, Result, _whatif

__all__ = ["ask", "ranges"]

#: Shards :func:`ask` makes when not told: one per block, up to this many.
MAX_DEFAULT_SHARDS = 1000


def ask(
    model: Model,
    question: str,
    *,
    samples: Optional[int] = None,
    seed: Optional[int] = None,
    method: Optional[str] = None,
    client: Any = None,
    shards: Optional[int] = None,
    threads: Optional[int] = None,
    retries: int = 0,
) -> Result:
    """Answers ``question`` about ``model`` by sampling on a Dask cluster.

    ``samples``, ``seed`` and ``method`` mean what they mean for :meth:`whatif.Model.ask`, and
    the result is the same :class:`whatif.Result`, bit for bit. ``client`` is a
    ``dask.distributed.Client`` (default: the current one, ``distributed.get_client()``).
    ``shards`` is the number of tasks per run (default: one per block of 1,048,576 samples, at
    most 1,000; for a bandit's runs, one per thread of the cluster's workers); ``threads`` the
    threads each task uses (default: all the worker's cores).
    ``retries`` is passed to ``client.submit`` (tasks lost with a worker are re-run by Dask
    anyway).
    """
    if client is None:
        from distributed import get_client

        client = get_client()
    if shards is not None and shards < 1:
        raise ValueError("shards must be at least 1")
    native = model._native
    sharding = native.shard(question, samples=samples, seed=seed, method=method, threads=threads)
    source, name = model.source, model.name
    while True:
        blocks, unit = _whatif.sharding_blocks(sharding)
        if shards is not None:
            count = shards
        elif unit == "runs":
            count = max(1, sum(client.nthreads().values()))
        else:
            count = min(blocks, MAX_DEFAULT_SHARDS)
        futures = [
            client.submit(
                _run_shard,
                source,
                name,
                sharding,
                start,
                end,
                threads,
                pure=False,
                retries=retries,
            )
            for start, end in ranges(blocks, count)
        ]
        partials: List[bytes] = client.gather(futures)
        merged = _whatif.merge_partials(partials) if partials else native.partial(sharding, 0, 0)
        kind, value = native.finish(sharding, merged)
        if kind == "answer":
            return Result(json.loads(value))
        sharding = value  # the next run, or a second pass on wider histogram edges


def ranges(blocks: int, shards: int) -> List[Tuple[int, int]]:
    """``blocks`` split into at most ``shards`` contiguous, non-empty ranges of near-equal
    size, in order: ``ranges(10, 3) == [(0, 4), (4, 7), (7, 10)]``."""
    shards = max(1, min(shards, blocks))
    if blocks == 0:
        return []
    size, extra = divmod(blocks, shards)
    out = []
    start = 0
    for i in range(shards):
        end = start + size + (1 if i < extra else 0)
        out.append((start, end))
        start = end
    return out


@functools.lru_cache(maxsize=8)
def _model(source: str, name: str) -> Model:
    """The model on a worker, parsed once per worker process."""
    return Model(source, name=name)


def _run_shard(
    source: str, name: str, sharding: bytes, start: int, end: int, threads: Optional[int]
) -> bytes:
    """One task: blocks ``start..end`` of the sharding, as a partial's bytes."""
    return _model(source, name)._native.partial(sharding, start, end, threads=threads)
