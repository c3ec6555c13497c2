"""The computational graph behind a tensor, as Graphviz DOT (like torchviz's ``make_dot``).

Every node the backward pass would visit is drawn: one grey box per operation (the ``Function``
that recorded it, e.g. ``MulBackward``) with the shape of its result, one blue box per leaf
tensor (a parameter or an input that requires grad) with its shape and, if given in
``params``, its name, and a green box for the tensor itself. Edges follow the forward data flow
(inputs towards the result).

:func:`plot_graph` renders the DOT with Graphviz's ``dot`` program when it is installed; without
it, it writes the ``.dot`` source and draws a simple layered picture with matplotlib instead
(with a warning), or raises when ``engine="dot"`` insists on Graphviz.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import warnings
from pathlib import Path
from typing import Any

__all__ = ["GraphvizNotFoundWarning", "graph_nodes", "graph_to_dot", "plot_graph"]

_FILL = {"output": "darkolivegreen1", "op": "lightgrey", "leaf": "lightblue"}
_MAX_FALLBACK_NODES = 300


class GraphvizNotFoundWarning(UserWarning):
    """Graphviz's ``dot`` is not installed: a simpler matplotlib rendering was used."""


def _shape(shape: Any) -> str:
    return "(" + ", ".join(str(int(s)) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def graph_nodes(tensor: Any, params: dict | None = None
                ) -> tuple[list[dict], list[tuple[int, int]]]:
    """The nodes and edges of ``tensor``'s autograd graph.

    Returns:
        ``(nodes, edges)``: ``nodes[i]`` is ``{"kind": "output" | "op" | "leaf", "label":
        str}``; an edge ``(i, j)`` goes from node ``i`` into node ``j`` (forward direction).
        The output is node 0.
    """
    from ..tensor import Tensor

    if not isinstance(tensor, Tensor):
        raise TypeError(f"graph_to_dot: expected a lightgrad Tensor, got "
                        f"{type(tensor).__name__}")
    names = {id(v): k for k, v in (params or {}).items()}
    nodes: list[dict] = [{"kind": "output", "label": f"{names.get(id(tensor), 'output')}\n"
                                                     f"{_shape(tensor.shape)}"}]
    edges: list[tuple[int, int]] = []
    index: dict[int, int] = {}
    keep: list[Any] = []  # keep the objects alive so that ids stay unique

    def node_of(obj: Any) -> tuple[int, bool]:
        key = id(obj)
        if key in index:
            return index[key], False
        keep.append(obj)
        if isinstance(obj, Tensor):
            name = names.get(key)
            label = (f"{name}\n" if name else "") + _shape(obj.shape)
            nodes.append({"kind": "leaf", "label": label})
        else:
            label = f"{type(obj).__name__}Backward\n{_shape(getattr(obj, '_shape', ()))}"
            nodes.append({"kind": "op", "label": label})
        index[key] = len(nodes) - 1
        return index[key], True

    fn = tensor.grad_fn
    if fn is None:
        if tensor.requires_grad:  # a leaf: the graph is the tensor alone
            nodes[0]["kind"] = "leaf"
        return nodes, edges
    root, _ = node_of(fn)
    edges.append((root, 0))
    stack = [fn]
    while stack:  # iterative: a 10,000-op chain must not hit the recursion limit
        f = stack.pop()
        me = index[id(f)]
        for parent in getattr(f, "next", None) or ():
            if parent is None:
                continue
            j, new = node_of(parent)
            edges.append((j, me))
            if new and not isinstance(parent, Tensor):
                stack.append(parent)
    return nodes, edges


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def graph_to_dot(tensor: Any, params: dict | None = None, name: str = "autograd") -> str:
    """The autograd graph of ``tensor`` as Graphviz DOT text.

    Args:
        tensor: the result of a computation (e.g. a loss).
        params: ``{name: tensor}`` to label leaves, e.g. ``dict(model.named_parameters())``.
        name: the graph's name in the DOT text.

    Example:
        >>> import lightgrad
        >>> from lightgrad.viz import graph_to_dot
        >>> w = lightgrad.ones(3, requires_grad=True)
        >>> dot = graph_to_dot((w * 2).sum(), params={"w": w})
        >>> [line.strip() for line in dot.splitlines() if "->" in line]
        ['n1 -> n0;', 'n2 -> n1;', 'n3 -> n2;']
    """
    nodes, edges = graph_nodes(tensor, params)
    lines = [f"digraph {_quote(name)} {{",
             "  graph [rankdir=TB, ranksep=0.35, nodesep=0.25];",
             '  node [shape=box, style="filled,rounded", fontname="Helvetica", fontsize=10, '
             "height=0.2];"]
    for i, n in enumerate(nodes):
        lines.append(f"  n{i} [label={_quote(n['label'])}, fillcolor={_FILL[n['kind']]}];")
    for a, b in edges:
        lines.append(f"  n{a} -> n{b};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def plot_graph(tensor: Any, path: str | os.PathLike[str], params: dict | None = None,
               engine: str = "auto", dpi: int = 100) -> Path:
    """Draw ``tensor``'s autograd graph to ``path`` (``.png``, ``.svg``, ``.pdf`` or ``.dot``).

    With Graphviz's ``dot`` on the PATH the DOT text is rendered by it. Without it the DOT
    source is written beside ``path`` (``<name>.dot``) and, with ``engine="auto"``, a simple
    layered drawing is made with matplotlib (a :class:`GraphvizNotFoundWarning` says so);
    ``engine="dot"`` raises instead. ``engine="matplotlib"`` always uses the simple drawing.

    Returns:
        The path written.

    Raises:
        FileNotFoundError: ``engine="dot"`` and Graphviz is not installed (the ``.dot`` file
            is written first; the message says how to install Graphviz).
        ImportError: the fallback needs matplotlib and it is not installed.
    """
    if engine not in ("auto", "dot", "matplotlib"):
        raise ValueError(f"plot_graph: engine must be 'auto', 'dot' or 'matplotlib', got "
                         f"{engine!r}")
    target = Path(path)
    fmt = target.suffix.lstrip(".").lower() or "png"
    if fmt not in ("png", "svg", "pdf", "dot", "gv"):
        raise ValueError(f"plot_graph: unsupported format {fmt!r} (use .png, .svg, .pdf or "
                         ".dot)")
    target.parent.mkdir(parents=True, exist_ok=True)
    dot = graph_to_dot(tensor, params)
    if fmt in ("dot", "gv"):
        target.write_text(dot)
        return target
    exe = shutil.which("dot") if engine != "matplotlib" else None
    if exe is not None:
        try:
            subprocess.run([exe, f"-T{fmt}", "-o", str(target)], input=dot.encode(),
                           check=True, capture_output=True, timeout=120)
        except subprocess.CalledProcessError as e:
            raise RuntimeError(f"plot_graph: dot failed: {e.stderr.decode(errors='replace')}"
                               ) from e
        return target
    source = target.with_suffix(".dot")
    source.write_text(dot)
    if engine == "dot":
        raise FileNotFoundError(
            f"plot_graph: Graphviz's `dot` program is not installed; the DOT source is in "
            f"{source} (install Graphviz: apt install graphviz / brew install graphviz / "
            f"conda install graphviz, then `dot -T{fmt} {source} -o {target}`)")
    if engine == "auto":
        warnings.warn(f"plot_graph: Graphviz's `dot` is not installed: drawing a simple layout "
                      f"with matplotlib; the DOT source is in {source} (install Graphviz for "
                      "the usual rendering)", GraphvizNotFoundWarning, stacklevel=2)
    _draw_layers(tensor, params, target, fmt, dpi)
    return target


def _levels(n: int, edges: list[tuple[int, int]]) -> list[int]:
    """Each node's row: its longest distance (in edges) to the output (node 0)."""
    children: list[list[int]] = [[] for _ in range(n)]
    parents: list[list[int]] = [[] for _ in range(n)]
    for a, b in edges:
        children[a].append(b)
        parents[b].append(a)
    level = [0] * n
    # Kahn's order from the output upwards: a node is placed once all its consumers are
    pending = [len(children[i]) for i in range(n)]
    queue = [0]
    while queue:
        b = queue.pop()
        for a in parents[b]:
            level[a] = max(level[a], level[b] + 1)
            pending[a] -= 1
            if pending[a] == 0:
                queue.append(a)
    return level


def _draw_layers(tensor: Any, params: dict | None, target: Path, fmt: str, dpi: int) -> None:
    from .history import _figure

    nodes, edges = graph_nodes(tensor, params)
    if len(nodes) > _MAX_FALLBACK_NODES:
        raise ValueError(f"plot_graph: the graph has {len(nodes)} nodes, too many for the "
                         f"simple matplotlib drawing; render {target.with_suffix('.dot')} with "
                         "Graphviz")
    level = _levels(len(nodes), edges)
    depth = max(level)
    rows: list[list[int]] = [[] for _ in range(depth + 1)]
    for i, lv in enumerate(level):
        rows[lv].append(i)
    xpos: dict[int, float] = {0: 0.0}
    consumers: dict[int, list[int]] = {}
    for a, b in edges:
        consumers.setdefault(a, []).append(b)
    for lv in range(1, depth + 1):  # order each row by its consumers' mean position
        row = rows[lv]
        row.sort(key=lambda i: sum(xpos.get(c, 0.0) for c in consumers.get(i, [0]))
                 / max(1, len(consumers.get(i, [0]))))
        for k, i in enumerate(row):
            xpos[i] = k - (len(row) - 1) / 2
    width = max(len(r) for r in rows)
    fig = _figure((max(3.0, 1.9 * width), max(2.0, 0.9 * (depth + 1))), dpi, "plot_graph")
    ax = fig.add_subplot()
    ax.set_axis_off()
    y = {i: depth - level[i] for i in range(len(nodes))}  # inputs on top, the output below
    colors = {"output": "#caff70", "op": "#d3d3d3", "leaf": "#add8e6"}
    boxes = {}
    for i, n in enumerate(nodes):
        boxes[i] = ax.text(xpos[i], y[i], n["label"], ha="center", va="center", fontsize=7,
                           zorder=2, bbox={"boxstyle": "round,pad=0.3",
                                           "facecolor": colors[n["kind"]],
                                           "edgecolor": "#333333", "linewidth": 0.6})
    for a, b in edges:  # arrows clipped to the boxes' outlines
        ax.annotate("", xy=(xpos[b], y[b]), xytext=(xpos[a], y[a]), zorder=1,
                    arrowprops={"arrowstyle": "-|>", "color": "#555555", "linewidth": 0.8,
                                "patchA": boxes[a].get_bbox_patch(),
                                "patchB": boxes[b].get_bbox_patch(), "shrinkA": 1,
                                "shrinkB": 1})
    ax.set_xlim(-width / 2 - 0.2, width / 2 + 0.2)
    ax.set_ylim(-0.6, depth + 0.6)
    fig.savefig(target, format=fmt)
