"""The autograd graph of a tensor as DOT text, and its rendering (lightgrad.viz.graph)."""

import re
import stat
import sys
import warnings

import pytest

import lightgrad
from lightgrad import nn, viz
from lightgrad.viz import graph as graph_mod

PNG = b"\x89PNG\r\n\x1a\n"


def _parse(dot):
    nodes = dict(re.findall(r'^\s*(n\d+) \[label="(.*?)", fillcolor=\w+\];$', dot, re.M))
    colors = dict(re.findall(r'^\s*(n\d+) \[label=".*?", fillcolor=(\w+)\];$', dot, re.M))
    edges = re.findall(r"^\s*(n\d+) -> (n\d+);$", dot, re.M)
    return nodes, colors, edges


def test_dot_of_a_small_expression():
    x = lightgrad.randn(3, 4, requires_grad=True)
    w = lightgrad.randn(4, 2, requires_grad=True)
    b = lightgrad.zeros(2, requires_grad=True)
    y = ((x @ w + b).tanh() * 2).sum()
    dot = viz.graph_to_dot(y, params={"x": x, "w": w, "b": b})
    assert dot.startswith('digraph "autograd" {') and dot.rstrip().endswith("}")
    nodes, colors, edges = _parse(dot)
    labels = {k: v.replace("\\n", " ") for k, v in nodes.items()}
    # output, 5 operations (matmul, add, tanh, mul, sum), 3 leaves
    assert len(nodes) == 9 and len(edges) == 8
    assert sorted(colors.values()).count("lightblue") == 3
    assert sorted(colors.values()).count("lightgrey") == 5
    assert labels["n0"] == "output ()" and colors["n0"] == "darkolivegreen1"
    ops = sorted(v for k, v in labels.items() if colors[k] == "lightgrey")
    assert ops == ["AddBackward (3, 2)", "MatmulBackward (3, 2)", "MulBackward (3, 2)",
                   "SumBackward ()", "TanhBackward (3, 2)"]
    leaves = sorted(v for k, v in labels.items() if colors[k] == "lightblue")
    assert leaves == ["b (2,)", "w (4, 2)", "x (3, 4)"]
    by_label = {v.split(" ")[0]: k for k, v in labels.items()}
    # edges follow the data: x and w into the matmul, the matmul into the add, ... the output
    assert (by_label["x"], by_label["MatmulBackward"]) in edges
    assert (by_label["w"], by_label["MatmulBackward"]) in edges
    assert (by_label["MatmulBackward"], by_label["AddBackward"]) in edges
    assert (by_label["b"], by_label["AddBackward"]) in edges
    assert (by_label["SumBackward"], "n0") in edges


def test_shared_nodes_and_constants():
    x = lightgrad.randn(3, requires_grad=True)
    h = x.exp()
    y = h * h + 1.0  # h is used twice; 1.0 and non-grad tensors are not nodes
    nodes, colors, edges = _parse(viz.graph_to_dot(y))
    assert len(nodes) == 5  # output, add, mul, exp, x
    assert len(edges) == 5  # exp -> mul twice
    c = lightgrad.ones(3)  # no grad: not drawn
    nodes2, _, _ = _parse(viz.graph_to_dot(x * c))
    assert len(nodes2) == 3
    leaf_nodes, leaf_colors, leaf_edges = _parse(viz.graph_to_dot(x))
    assert len(leaf_nodes) == 1 and leaf_edges == [] and leaf_colors["n0"] == "lightblue"
    with pytest.raises(TypeError, match="lightgrad Tensor"):
        viz.graph_to_dot([1, 2])


def test_module_graph_and_a_long_chain():
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    loss = net(lightgrad.randn(5, 3)).pow(2).mean()
    dot = viz.graph_to_dot(loss, params=dict(net.named_parameters()))
    for name in ("0.weight", "0.bias", "2.weight", "2.bias"):
        assert f'label="{name}\\n' in dot
    x = lightgrad.ones(2, requires_grad=True)
    y = x
    for _ in range(5000):  # no recursion limit
        y = y * 1.0
    nodes, _, edges = _parse(viz.graph_to_dot(y))
    assert len(nodes) == 5002 and len(edges) == 5001


def test_plot_graph_without_graphviz(tmp_path, monkeypatch):
    monkeypatch.setattr(graph_mod.shutil, "which", lambda name: None)
    x = lightgrad.randn(2, 2, requires_grad=True)
    y = (x.sigmoid() * x).sum()
    with pytest.raises(FileNotFoundError, match="Graphviz.*graph.dot"):
        viz.plot_graph(y, tmp_path / "graph.png", engine="dot")
    assert (tmp_path / "graph.dot").read_text() == viz.graph_to_dot(y)
    with pytest.warns(viz.GraphvizNotFoundWarning, match="not installed"):
        out = viz.plot_graph(y, tmp_path / "auto.png")
    assert out.read_bytes()[:8] == PNG and (tmp_path / "auto.dot").is_file()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # explicitly asked: no warning
        viz.plot_graph(y, tmp_path / "mpl.svg", engine="matplotlib")
    assert (tmp_path / "mpl.svg").read_text().lstrip().startswith("<?xml")
    assert viz.plot_graph(y, tmp_path / "only.dot").read_text().startswith("digraph")
    with pytest.raises(ValueError, match="format"):
        viz.plot_graph(y, tmp_path / "g.jpg")


@pytest.mark.skipif(sys.platform == "win32", reason="a shell script stands in for dot")
def test_plot_graph_calls_dot_when_installed(tmp_path, monkeypatch):
    fake = tmp_path / "dot"
    fake.write_text(f'#!/bin/sh\n# args: -Tpng -o OUT\ncat > "{tmp_path}/stdin.dot"\n'
                    'echo "$1" > "$3"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(graph_mod.shutil, "which", lambda name: str(fake))
    x = lightgrad.randn(2, requires_grad=True)
    y = x.exp().sum()
    out = viz.plot_graph(y, tmp_path / "g.png")
    assert out.read_text().strip() == "-Tpng"
    assert (tmp_path / "stdin.dot").read_text() == viz.graph_to_dot(y)
    assert not (tmp_path / "g.dot").exists()
