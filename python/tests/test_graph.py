"""model.graph(): DOT text, drawn by Graphviz where its `dot` program is installed."""

import os
import stat

import pytest

import whatif


def test_graph_is_dot(sprinkler):
    graph = sprinkler.graph()
    assert isinstance(graph, str) and graph.dot == str(graph)
    assert graph.startswith("digraph whatif {")
    for edge in ('"rain" -> "sprinkler";', '"rain" -> "wet";', '"sprinkler" -> "wet";'):
        assert edge in graph


def test_without_graphviz_a_clear_message(sprinkler, monkeypatch):
    monkeypatch.setenv("PATH", "")
    graph = sprinkler.graph()
    assert graph._repr_svg_() is None
    html = graph._repr_html_()
    assert "Install Graphviz" in html and "digraph whatif" in html
    with pytest.raises(RuntimeError, match="needs Graphviz's `dot` program"):
        graph.svg()


def test_with_graphviz_svg(sprinkler, monkeypatch, tmp_path):
    # A stand-in `dot` that checks it was given the DOT text and answers with an SVG.
    fake = tmp_path / "dot"
    fake.write_text(
        "#!/bin/sh\n"
        '[ "$1" = "-Tsvg" ] || exit 2\n'
        'grep -q "digraph whatif" || exit 3\n'
        "echo '<svg>drawn</svg>'\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(tmp_path) + os.pathsep + os.environ.get("PATH", ""))
    graph = sprinkler.graph()
    assert graph._repr_svg_().strip() == "<svg>drawn</svg>"
    assert sprinkler._repr_html_().strip() == "<svg>drawn</svg>"
