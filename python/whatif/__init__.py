"""whatif: a probabilistic programming language for causal reasoning, from Python.

Two lines to an answer::

    import whatif
    whatif.Model("rain ~ Bernoulli(0.2)\\nwet := rain").ask("P(rain | wet)").value

A :class:`Model` is parsed and checked once; :meth:`Model.ask` answers one question (a query,
``decide`` or ``bandit``) and returns a :class:`Result`; :meth:`Model.run` answers the questions
written in the model's text. Every answer says which method answered, and sampled ones carry a
standard error and an effective sample size. One ``seed`` fixes every number at any thread count.

Mistakes raise :class:`WhatifError` (a subclass per family of error codes) with ``code``,
``line``, ``column`` and ``message``; ``str(e)`` is what the command line prints.

While a question runs the GIL is released, and Ctrl-C (KeyboardInterrupt) cancels it.
:mod:`whatif.dask` answers one question across a Dask cluster with the same numbers.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from typing import Any, Dict, List, Optional, Tuple, Union

from . import _whatif
from ._errors import (
    DataError,
    EvaluationError,
    EvidenceError,
    IdentificationError,
    MethodError,
    ModelError,
    ParseError,
    QuestionError,
    WhatifError,
)

__version__: str = _whatif.__version__

__all__ = [
    "Model",
    "Result",
    "Graph",
    "WhatifError",
    "ParseError",
    "ModelError",
    "QuestionError",
    "EvaluationError",
    "EvidenceError",
    "MethodError",
    "DataError",
    "IdentificationError",
]

PathLike = Union[str, "os.PathLike[str]"]


class Model:
    """A parsed and checked structural causal model.

    ``Model(source)`` parses text; :meth:`from_file` reads a ``.scm`` file; :meth:`from_bif`
    converts a BIF Bayesian network. A model is immutable and may be shared between threads.
    """

    __slots__ = ("_native", "import_warnings")

    def __init__(self, source: str, *, name: str = "<model>") -> None:
        self._native = _whatif.Model(source, name)
        self.import_warnings: List[Dict[str, Any]] = []

    @classmethod
    def from_file(cls, path: PathLike) -> "Model":
        """Reads, parses and checks a ``.scm`` file; its diagnostics name the file."""
        return cls._wrap(_whatif.Model.from_file(os.fspath(path)))

    @classmethod
    def from_bif(cls, text: str, *, name: str = "<bif>") -> "Model":
        """Converts a Bayesian network in the BIF format (as ``whatif import`` does). The
        conversion's warnings (renamed names, rows normalised) are in ``import_warnings``."""
        native, warnings = _whatif.Model.from_bif(name, text)
        model = cls._wrap(native)
        model.import_warnings = list(warnings)
        return model

    @classmethod
    def _wrap(cls, native: "_whatif.Model") -> "Model":
        model = cls.__new__(cls)
        model._native = native
        model.import_warnings = []
        return model

    @property
    def name(self) -> str:
        """What diagnostics call this model: its file name, or ``<model>``."""
        return self._native.name

    @property
    def source(self) -> str:
        """The model's source text."""
        return self._native.source

    @property
    def variables(self) -> List[str]:
        """The variables, in declaration order."""
        return self._native.variables

    @property
    def questions(self) -> List[str]:
        """The source text of each question (query, ``decide``, ``bandit``) in the model."""
        return self._native.questions

    def ask(
        self,
        question: str,
        *,
        samples: Optional[int] = None,
        seed: Optional[int] = None,
        method: Optional[str] = None,
        threads: Optional[int] = None,
    ) -> "Result":
        """Answers one question about this model.

        ``question`` is written in the language: ``"P(rain | wet)"``,
        ``"E[y | do(x = 1)]"``, ``"query ate = E[y | do(x = 1)] - E[y | do(x = 0)]"``,
        ``"decide ..."``, ``"bandit ..."``. ``samples`` (default: the model's ``set samples``,
        else 100,000), ``seed`` (default: ``set seed``, else 0), ``method`` (``"auto"``,
        ``"is"``, ``"exact"`` or ``"smc"``; default ``"auto"``) and ``threads`` (default: all cores; the
        answer does not depend on it) are the command line's flags. Errors in the question
        point into it (``<question>:1:3``).
        """
        text = self._native.ask_json(
            question, samples=samples, seed=seed, method=method, threads=threads
        )
        return Result(json.loads(text))

    def run(
        self,
        *,
        samples: Optional[int] = None,
        seed: Optional[int] = None,
        method: Optional[str] = None,
        threads: Optional[int] = None,
    ) -> List["Result"]:
        """Answers every question written in the model, in order (the first error raises)."""
        text = self._native.run_json(samples=samples, seed=seed, method=method, threads=threads)
        return [Result(answer) for answer in json.loads(text)]

    def fit(self, data: Any) -> "Model":
        """The model with its ``?`` parameters fitted to ``data`` (LANGUAGE.md section 12), as
        ``whatif fit`` does: a CSV file's path, a pandas ``DataFrame``, or a ``dict`` from
        column name to a sequence of cells. Cells are read as a CSV's are: ``True``/``False``
        (or ``1``/``0``), numbers, labels as strings; ``None``, ``NaN`` and pandas' ``NA`` are
        missing. Columns the model does not name are ignored. A cell of the wrong type raises
        :class:`DataError` (E013) naming its row and column. The fitted model answers as the
        written-out model would; :attr:`fit_summary` says what was estimated.
        """
        if isinstance(data, (str, os.PathLike)):
            return self._wrap(self._native.fit(path=os.fspath(data)))
        items = getattr(data, "items", None)
        if not callable(items):
            raise TypeError(
                "fit takes a CSV file's path, a pandas DataFrame or a dict of columns, "
                f"not {type(data).__name__}"
            )
        columns = [(str(name), [_cell(v) for v in column]) for name, column in items()]
        return self._wrap(self._native.fit(columns=columns))

    @property
    def fit_summary(self) -> Optional[Dict[str, Any]]:
        """For a fitted model, what the fit did: its rows and each parameter's estimate and
        standard error (the ``"fit"`` object of ``whatif run --json``); else ``None``."""
        text = self._native.fit_summary_json
        return None if text is None else json.loads(text)

    def graph(self) -> "Graph":
        """The causal graph: a :class:`Graph`, which is its Graphviz DOT text (a ``str``) and
        draws itself in a notebook where Graphviz's ``dot`` program is installed."""
        return Graph(self._native.graph())

    def _repr_html_(self) -> str:
        return self.graph()._repr_html_()

    def __repr__(self) -> str:
        return f"<whatif.Model {self.name}: {len(self.variables)} variables>"

    def __reduce__(self):  # pickled (for Dask) as its source text and name
        # A fitted model travels as its text with the estimates written in.
        fitted = self._native.fitted_source
        return (_model_from_source, (self.source if fitted is None else fitted, self.name))


def _model_from_source(source: str, name: str) -> Model:
    return Model(source, name=name)


def _cell(value: Any) -> str:
    """A cell as the text a CSV would hold: empty for a missing value."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return ""
    if not isinstance(value, str) and callable(getattr(value, "item", None)):
        value = value.item()  # a NumPy scalar
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "" if value != value else repr(value)
    return str(value)


class Graph(str):
    """A causal graph as Graphviz DOT text (a ``str``).

    In a notebook it shows as SVG when Graphviz's ``dot`` program is on the ``PATH``, and
    otherwise as its DOT text under a line saying how to install Graphviz. :meth:`svg` draws it
    or raises :class:`RuntimeError` saying what is missing.
    """

    @property
    def dot(self) -> str:
        """The DOT text."""
        return str(self)

    def svg(self) -> str:
        """The graph drawn as SVG by Graphviz's ``dot`` program."""
        program = shutil.which("dot")
        if program is None:
            raise RuntimeError(
                "drawing a graph needs Graphviz's `dot` program, which is not on the PATH: "
                "install Graphviz (apt install graphviz, brew install graphviz, "
                "conda install graphviz); the DOT text is str(graph)"
            )
        done = subprocess.run(
            [program, "-Tsvg"], input=self.dot.encode(), capture_output=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"dot failed: {done.stderr.decode(errors='replace').strip()}")
        return done.stdout.decode()

    def _repr_svg_(self) -> Optional[str]:
        if shutil.which("dot") is None:
            return None  # the notebook falls back to _repr_html_
        try:
            return self.svg()
        except RuntimeError:
            return None

    def _repr_html_(self) -> str:
        if shutil.which("dot") is not None:
            try:
                return self.svg()
            except RuntimeError:
                pass
        import html

        return (
            "<p>Install Graphviz (the <code>dot</code> program) to draw this graph; "
            "its DOT text:</p><pre>" + html.escape(self.dot) + "</pre>"
        )


class Result:
    """One answer: what ``whatif run --json`` prints for one question.

    ``kind`` is ``"probability"``, ``"expectation"``, ``"distribution"``, ``"decision"`` or
    ``"bandit"``; ``method`` is ``"exact"``, ``"is"`` or ``"smc"`` (the method that answered); ``query``
    and ``line`` are the question's text and line; ``warnings`` lists warnings (a low effective
    sample size). ``value``, ``stderr`` and ``ess`` are the headline numbers:

    - a probability or expectation: its value, standard error (0 for exact answers; ``None``
      for a sampled expectation with an ESS below 2) and effective sample size (``None`` for
      exact answers);
    - a distribution: for a discrete one ``value`` is ``{value: probability}`` and ``stderr``
      ``{value: standard error}``; for a real one the mean and its standard error;
    - a decision: the expected utility of what it recommends, and its standard error;
    - a bandit: ``None``;
    - any other kind (``identify``): its ``value`` and ``stderr`` fields, where it has them.

    Every field of the JSON object is also readable as ``result["field"]``; :meth:`to_dict`
    returns a copy of it and :meth:`to_frame` a pandas DataFrame.
    """

    __slots__ = ("_data",)

    def __init__(self, data: Dict[str, Any]) -> None:
        self._data = data

    def to_dict(self) -> Dict[str, Any]:
        """The answer as the JSON object of ``whatif run --json`` (a deep copy)."""
        return copy.deepcopy(self._data)

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Result) and self._data == other._data

    __hash__ = None  # type: ignore[assignment]

    @property
    def kind(self) -> str:
        """``probability``, ``expectation``, ``distribution``, ``decision`` or ``bandit``."""
        return self._data["kind"]

    @property
    def method(self) -> str:
        """The method that answered: ``"exact"``, ``"is"`` or ``"smc"``."""
        return self._data["method"]

    @property
    def query(self) -> str:
        """The question's source text."""
        return self._data["query"]

    @property
    def line(self) -> int:
        """The question's 1-based line (in the model, or just after it for :meth:`Model.ask`)."""
        return self._data["line"]

    @property
    def name(self) -> Optional[str]:
        """The name of a named estimand (``query ate = ...``)."""
        return self._data.get("name")

    @property
    def warnings(self) -> List[str]:
        """Warnings about this answer (a low effective sample size)."""
        return list(self._data.get("warnings", []))

    @property
    def samples(self) -> Optional[int]:
        """Samples drawn; ``None`` for exact answers."""
        return self._data.get("samples")

    @property
    def is_real_distribution(self) -> bool:
        """Whether this is the summary of a real-valued distribution."""
        return self.kind == "distribution" and "mean" in self._data

    @property
    def value(self) -> Any:
        """The headline value (see the class's documentation for each kind)."""
        d = self._data
        if self.kind in ("probability", "expectation", "decision"):
            return d["value"]
        if self.kind == "distribution":
            if self.is_real_distribution:
                return d["mean"]
            return {row["value"]: row["p"] for row in d["values"]}
        if self.kind == "bandit":
            return None
        return d.get("value")

    @property
    def stderr(self) -> Any:
        """The headline value's standard error (see the class's documentation)."""
        d = self._data
        if self.kind in ("probability", "expectation", "decision"):
            return d.get("stderr")
        if self.kind == "distribution":
            if self.is_real_distribution:
                return d["mean_stderr"]
            return {row["value"]: row["stderr"] for row in d["values"]}
        if self.kind == "bandit":
            return None
        return d.get("stderr")

    @property
    def ess(self) -> Optional[float]:
        """The effective sample size; ``None`` for exact answers and decisions."""
        return self._data.get("ess")

    def to_frame(self) -> Any:
        """The answer's table as a pandas DataFrame (pandas is optional: this is the one method
        that needs it).

        A discrete distribution: one row per value (``value``, ``p``, ``stderr``). A real
        distribution: its histogram (``lower``, ``p``, one row per bin). A decision: one row per
        action (one column per decision, then ``value``, ``stderr``, ``diff_stderr``). A bandit:
        one row per policy. A probability or expectation: one row (``value``, ``stderr``,
        ``ess``, ``samples``).
        """
        try:
            import pandas
        except ImportError:
            raise ImportError(
                "Result.to_frame() needs pandas, which is not installed: pip install pandas"
            ) from None
        d = self._data
        if self.kind == "distribution":
            if self.is_real_distribution:
                rows = [{"lower": lo, "p": p} for lo, p in d["histogram"]]
                return pandas.DataFrame(rows, columns=["lower", "p"])
            return pandas.DataFrame(d["values"], columns=["value", "p", "stderr"])
        if self.kind == "decision":
            rows = [
                {
                    **a["action"],
                    "value": a["value"],
                    "stderr": a["stderr"],
                    "diff_stderr": a["diff_stderr"],
                }
                for a in d["actions"]
            ]
            return pandas.DataFrame(rows)
        if self.kind == "bandit":
            columns = ["name", "regret", "regret_stderr", "optimal_fraction"]
            return pandas.DataFrame(
                [{c: p[c] for c in columns} for p in d["policies"]], columns=columns
            )
        columns = ["value", "stderr", "ess", "samples"]
        return pandas.DataFrame([{c: d.get(c) for c in columns}], columns=columns)

    def __repr__(self) -> str:
        if self.kind in ("probability", "expectation"):
            stderr = self.stderr
            error = "" if stderr in (None, 0.0) else f" ± {stderr:.3g}"
            return f"<whatif.Result {self.query}: {self.value:.6g}{error} ({self.method})>"
        return f"<whatif.Result {self.query}: {self.kind} ({self.method})>"

