"""Type stubs of the native module (python/src/lib.rs). Use the `whatif` package instead:
its `Model` wraps this one and turns the JSON answers into `whatif.Result` objects."""

from typing import Any, Dict, List, Optional, Tuple

__version__: str

class Model:
    def __init__(self, source: str, name: Optional[str] = None) -> None: ...
    @staticmethod
    def from_file(path: str) -> "Model": ...
    @staticmethod
    def from_bif(name: str, text: str) -> Tuple["Model", List[Dict[str, Any]]]: ...
    @property
    def name(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def variables(self) -> List[str]: ...
    @property
    def questions(self) -> List[str]: ...
    def fit(
        self,
        *,
        path: Optional[str] = None,
        columns: Optional[List[Tuple[str, List[str]]]] = None,
    ) -> "Model": ...
    @property
    def fit_summary_json(self) -> Optional[str]: ...
    @property
    def fitted_source(self) -> Optional[str]: ...
    def graph(self) -> str: ...
    def ask_json(
        self,
        question: str,
        *,
        samples: Optional[int] = None,
        seed: Optional[int] = None,
        method: Optional[str] = None,
        threads: Optional[int] = None,
    ) -> str: ...
    def run_json(
        self,
        *,
        samples: Optional[int] = None,
        seed: Optional[int] = None,
        method: Optional[str] = None,
        threads: Optional[int] = None,
    ) -> str: ...
