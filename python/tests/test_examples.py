"""The notebook-style example runs, and what it asserts holds."""

import pathlib
import runpy


def test_quickstart_runs(capsys):
    path = pathlib.Path(__file__).resolve().parents[1] / "examples" / "quickstart.py"
    runpy.run_path(str(path), run_name="__main__")
    out = capsys.readouterr().out
    assert "observed:   A 0.7800  B 0.8257" in out
    assert "intervened: A 0.8325  B 0.7789  (exact)" in out
    assert "E002 1 3" in out
