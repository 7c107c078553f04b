"""Exceptions: one base class, :class:`WhatifError`, and a subclass per family of error codes.

The native module raises these through :func:`from_parts`. ``str(e)`` is the rendered text the
command line prints (``file:line:col: error[CODE]: message``, the line, a caret, a hint); the
first diagnostic's parts are attributes (``code``, ``line``, ``column``, ``message``, ``help``,
``file``) and ``diagnostics`` lists every one as a dict.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional


class WhatifError(Exception):
    """A model, question or run that whatif cannot answer.

    Attributes describe the first diagnostic: ``code`` (``"E002"``, or ``None`` for a problem
    outside the language: an unreadable file, a limit), ``line`` and ``column`` (1-based, or
    ``None``), ``message``, ``help``, ``file`` (the file name, ``<model>`` or ``<question>``).
    ``diagnostics`` is every diagnostic as a dict with those keys plus ``severity``.
    """

    code: Optional[str]
    line: Optional[int]
    column: Optional[int]
    message: str
    help: Optional[str]
    file: Optional[str]
    diagnostics: List[Dict[str, Any]]

    def __init__(self, text: str, diagnostics: Optional[List[Dict[str, Any]]] = None) -> None:
        super().__init__(text)
        self.text = text
        self.diagnostics = list(diagnostics or [])
        first: Dict[str, Any] = self.diagnostics[0] if self.diagnostics else {}
        self.code = first.get("code")
        self.line = first.get("line")
        self.column = first.get("column")
        self.message = first.get("message", text)
        self.help = first.get("help")
        self.file = first.get("file")

    def __str__(self) -> str:
        return self.text.rstrip("\n")

    def __reduce__(self):  # pickled across processes (Dask) with its parts
        return (type(self), (self.text, self.diagnostics))


class ParseError(WhatifError):
    """E001: the text is not valid whatif syntax."""


class ModelError(WhatifError):
    """E002–E005: unknown names, duplicate declarations, cycles, type mismatches."""


class QuestionError(WhatifError):
    """E008, E009, E012: an invalid intervention or decision, a decision a query leaves unset."""


class EvaluationError(WhatifError):
    """E006: a parameter out of range, or a NaN or infinity, while answering."""


class EvidenceError(WhatifError):
    """E007, E011: evidence with probability zero, or zero-measure evidence on a real."""


class MethodError(WhatifError):
    """E010: the chosen method cannot answer the question (``method="exact"`` on a real)."""


class DataError(WhatifError):
    """E013: data that cannot serve (a missing file, a cell of the wrong type, an empty cell)."""


class IdentificationError(WhatifError):
    """E014: an effect that is not identifiable, or an edge that contradicts a mechanism."""


FAMILIES = {
    "E001": ParseError,
    "E002": ModelError,
    "E003": ModelError,
    "E004": ModelError,
    "E005": ModelError,
    "E006": EvaluationError,
    "E007": EvidenceError,
    "E008": QuestionError,
    "E009": QuestionError,
    "E010": MethodError,
    "E011": EvidenceError,
    "E012": QuestionError,
    "E013": DataError,
    "E014": IdentificationError,
}


def from_parts(text: str, diagnostics: List[Dict[str, Any]]) -> WhatifError:
    """The exception for a library error: the class of its first diagnostic's code family
    (:class:`WhatifError` itself for a code without a family here, or no code)."""
    code = diagnostics[0].get("code") if diagnostics else None
    return FAMILIES.get(code, WhatifError)(text, diagnostics)
