"""``model.summary()``: Keras 3's table of layers, output shapes and parameter counts, drawn as a
plain-text box table.

Output shapes come from two probe passes of zero inputs through the model with forward hooks on
every layer (in inference mode, without a graph, the random state untouched): the unknown
dimensions (the batch, variable lengths) get different sizes in the two passes, so the output
dimensions that change with them print as ``None``.
"""

from __future__ import annotations

import math
import re
import shutil
import sys
import textwrap
from collections.abc import Callable
from typing import Any

import numpy as np

from ..autograd.grad_mode import no_grad
from ..tensor import Tensor

__all__ = ["summary", "layer_output_shapes"]

_PROBE_SIZES = (2, 3)


def _flatten(x: Any) -> list:
    if isinstance(x, list | tuple):
        return [v for item in x for v in _flatten(item)]
    if isinstance(x, dict):
        return [v for item in x.values() for v in _flatten(item)]
    return [x]


def _map(fn: Callable, x: Any) -> Any:
    if isinstance(x, list | tuple):
        return type(x)(_map(fn, v) for v in x)
    if isinstance(x, dict):
        return {k: _map(fn, v) for k, v in x.items()}
    return fn(x)


def _input_spec(model: Any) -> Any:
    """The model's input shapes (``None`` for unknown dimensions) and dtypes, or None."""
    if getattr(model, "_functional", False):
        ins = model._inputs_struct
        return _map(lambda k: (tuple(k.shape), k.dtype), ins)
    shape = getattr(model, "_input_batch_shape", None)
    if shape is None:
        shape = getattr(model, "_build_shape", None)
        if shape is not None:  # the shape of the first call: the batch dimension is unknown
            def unbatch(s: Any) -> Any:
                return (None,) + tuple(s[1:]) if isinstance(s, tuple) and len(s) else s
            if isinstance(shape, tuple) and all(isinstance(d, int | None) for d in shape):
                shape = unbatch(shape)
            else:
                shape = _map_shapes(unbatch, shape)
    if shape is None:
        return None
    if isinstance(shape, tuple) and all(isinstance(d, int | None) for d in shape):
        return (tuple(shape), np.dtype(np.float32))
    return _map_shapes(lambda s: (tuple(s), np.dtype(np.float32)), shape)


def _map_shapes(fn: Callable, shapes: Any) -> Any:
    """Map over a nested structure whose leaves are shape tuples."""
    if isinstance(shapes, tuple) and all(isinstance(d, int | None) for d in shapes):
        return fn(shapes)
    if isinstance(shapes, list | tuple):
        return type(shapes)(_map_shapes(fn, s) for s in shapes)
    if isinstance(shapes, dict):
        return {k: _map_shapes(fn, v) for k, v in shapes.items()}
    return fn(shapes)


def _is_spec(x: Any) -> bool:
    return isinstance(x, tuple) and len(x) == 2 and isinstance(x[1], np.dtype)


def _probe_inputs(spec: Any, size: int) -> Any:
    if _is_spec(spec):
        shape, dtype = spec
        return Tensor._make(np.zeros(tuple(size if d is None else d for d in shape), dtype))
    if isinstance(spec, list | tuple):
        return type(spec)(_probe_inputs(s, size) for s in spec)
    if isinstance(spec, dict):
        return {k: _probe_inputs(v, size) for k, v in spec.items()}
    raise TypeError(f"unexpected input spec {spec!r}")


def _all_layers(model: Any) -> list:
    from .layers.layer import Layer

    return [m for m in model.modules() if isinstance(m, Layer) and m is not model]


def _probe(model: Any, spec: Any, size: int) -> dict[int, Any]:
    """Output shapes of every layer for one zero batch (the last call of shared layers)."""
    from .. import backend

    shapes: dict[int, Any] = {}
    handles = []

    def hook(module: Any, args: Any, out: Any) -> None:
        shapes[id(module)] = _map(lambda t: tuple(t.shape) if isinstance(t, Tensor) else None,
                                  out)

    for layer in _all_layers(model):
        handles.append(layer.register_forward_hook(hook))
    state = backend.default_generator.get_state()
    was = model.training
    model.eval()
    try:
        with no_grad():
            model(_probe_inputs(spec, size))
    finally:
        model.train(was)
        backend.default_generator.set_state(state)
        for h in handles:
            h.remove()
    return shapes


def _merge(a: Any, b: Any) -> Any:
    """Dimensions equal in both probes are known; the others are ``None``."""
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b) and \
            all(isinstance(d, int | None) for d in a + b):
        return tuple(x if x == y else None for x, y in zip(a, b))
    if isinstance(a, list | tuple) and isinstance(b, list | tuple) and len(a) == len(b):
        return type(a)(_merge(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return {k: _merge(a[k], b.get(k)) for k in a}
    return a


def layer_output_shapes(model: Any) -> dict[int, Any]:
    """``{id(layer): output shape}`` for the model's layers (``None`` for the dimensions that
    follow the unknown input dimensions); empty when the input shape is unknown or the probe
    fails."""
    shapes: dict[int, Any] = {}
    if getattr(model, "_functional", False):
        for t in model.inputs:
            layer = getattr(t, "input_layer", None)
            if layer is not None:
                shapes[id(layer)] = tuple(t.shape)
        for node in model._nodes:  # the graph's own shapes, refined by the probes below
            shapes.setdefault(id(node.layer), tuple(node.shape))
    spec = _input_spec(model)
    if spec is None:
        return shapes
    try:
        first = _probe(model, spec, _PROBE_SIZES[0])
        second = _probe(model, spec, _PROBE_SIZES[1])
    except Exception:  # an input the zero probe cannot feed: keep what the graph knows
        return shapes
    for key, value in first.items():
        shapes[key] = _merge(value, second.get(key, value))
    return shapes


# ============================================================================== formatting
def _fmt_shape(shape: Any) -> str:
    if shape is None:
        return "?"
    if isinstance(shape, tuple) and all(isinstance(d, int | None) for d in shape):
        return "(" + ", ".join(str(d) for d in shape) + ")"
    if isinstance(shape, list | tuple):
        return "[" + ", ".join(_fmt_shape(s) for s in shape) + "]"
    if isinstance(shape, dict):
        return "{" + ", ".join(f"{k}: {_fmt_shape(v)}" for k, v in shape.items()) + "}"
    return str(shape)


def readable_memory_size(size: float) -> str:
    """``18.79 KB``-style sizes (powers of 1024), as Keras prints them."""
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def _count(weights: list) -> tuple[int, int]:
    unique = {id(w): w for w in weights}.values()
    n = sum(int(math.prod(w.shape)) for w in unique)
    nbytes = sum(int(math.prod(w.shape)) * np.dtype(w.dtype).itemsize for w in unique)
    return n, nbytes


def _optimizer_weights(model: Any) -> tuple[int, int] | None:
    opt = getattr(model, "optimizer", None)
    inner = getattr(opt, "inner", None)
    if inner is None:
        return None
    n, nbytes = 2, 12  # Keras counts the iteration counter (int64) and the learning rate
    for state in inner.state.values():
        for v in state.values():
            if isinstance(v, Tensor | np.ndarray) and v.ndim > 0:
                n += int(v.size if isinstance(v, np.ndarray) else v.numel())
                nbytes += int(math.prod(v.shape)) * np.dtype(v.dtype).itemsize
    return n, nbytes


def _wrap(text: str, width: int) -> list[str]:
    if len(text) <= width:
        return [text]
    return textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=False) or [""]


def _render(headers: list[str], rows: list[list[str]], widths: list[int],
            aligns: list[str]) -> list[str]:
    def cell(text: str, w: int, align: str) -> str:
        inner = w - 2
        if align == "right":
            return " " + text.rjust(inner) + " "
        if align == "center":
            return " " + text.center(inner) + " "
        return " " + text.ljust(inner) + " "

    def line(cells: list[str], sep: str, edge_l: str, edge_r: str) -> list[str]:
        wrapped = [_wrap(c, w - 2) for c, w in zip(cells, widths)]
        height = max(len(c) for c in wrapped)
        out = []
        for i in range(height):
            parts = [cell(c[i] if i < len(c) else "", w, a)
                     for c, w, a in zip(wrapped, widths, aligns)]
            out.append(edge_l + sep.join(parts) + edge_r)
        return out

    out = ["┏" + "┳".join("━" * w for w in widths) + "┓"]
    out += line(headers, "┃", "┃", "┃")
    out.append("┡" + "╇".join("━" * w for w in widths) + "┩")
    for i, row in enumerate(rows):
        if i:
            out.append("├" + "┼".join("─" * w for w in widths) + "┤")
        out += line(row, "│", "│", "│")
    out.append("└" + "┴".join("─" * w for w in widths) + "┘")
    return out


def _layer_range(layers: list, layer_range: Any) -> tuple[int, int]:
    if layer_range is None:
        return 0, len(layers)
    if len(layer_range) != 2 or not all(isinstance(s, str) for s in layer_range):
        raise ValueError(f"layer_range must be a list or tuple of two strings (layer names or "
                         f"regexes); received {layer_range!r}")
    lower = [i for i, layer in enumerate(layers) if re.match(layer_range[0], layer.name)]
    upper = [i for i, layer in enumerate(layers) if re.match(layer_range[1], layer.name)]
    if not lower or not upper:
        raise ValueError(f"Passed layer_names do not match the layer names in the model. "
                         f"Received: {layer_range}")
    if min(lower) > max(upper):
        return min(upper), max(lower) + 1
    return min(lower), max(upper) + 1


def _sequential_like(model: Any) -> bool:
    if not getattr(model, "_functional", False):
        return True
    from .layers.layer import _flatten as flat

    if len(model.inputs) != 1 or len(model.outputs) != 1:
        return False
    consumers: dict[int, int] = {}
    seen_layers: set[int] = set()
    for node in model._nodes:
        parents = flat(node.inputs)
        if len(parents) != 1 or id(node.layer) in seen_layers:
            return False
        seen_layers.add(id(node.layer))
        consumers[id(parents[0])] = consumers.get(id(parents[0]), 0) + 1
    return all(c == 1 for c in consumers.values())


def _connections(model: Any) -> dict[int, str]:
    from .layers.layer import _flatten as flat

    out: dict[int, list[str]] = {}
    for node in model._nodes:
        names = out.setdefault(id(node.layer), [])
        for parent in flat(node.inputs):
            src = parent.layer if parent.layer is not None else \
                getattr(parent, "input_layer", None)
            if src is not None:
                entry = f"{src.name}[0][0]"
                if entry not in names:
                    names.append(entry)
    return {k: ", ".join(v) for k, v in out.items()}


def summary(model: Any, line_length: int | None = None, positions: list[float] | None = None,
            print_fn: Callable[[str], Any] | None = None, expand_nested: bool = False,
            show_trainable: bool = False, layer_range: Any = None) -> None:
    """Print the model's layers, their output shapes and parameter counts, and the total,
    trainable and non-trainable parameter counts (with their memory size) as Keras 3 does.

    Args:
        line_length: the width of the table (default 88, or 108 with the "Connected to"
            column of non-sequential functional models; at most the terminal width - 4).
        positions: the right edges of the columns as fractions of ``line_length``.
        print_fn: called with the whole summary text (default: ``print``).
        expand_nested: also list the layers of nested models (indented).
        show_trainable: add a "Trainable" column.
        layer_range: ``[first, last]`` layer names (or regexes) to list.

    Example:
        >>> from lightgrad import keras
        >>> model = keras.Sequential([keras.Input(shape=(4,)),
        ...                           keras.layers.Dense(8, name="hidden"),
        ...                           keras.layers.Dense(2, name="out")], name="mlp")
        >>> model.summary(line_length=60)
        Model: "mlp"
        ┏━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┓
        ┃ Layer (type)            ┃ Output Shape      ┃    Param # ┃
        ┡━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━┩
        │ hidden (Dense)          │ (None, 8)         │         40 │
        ├─────────────────────────┼───────────────────┼────────────┤
        │ out (Dense)             │ (None, 2)         │         18 │
        └─────────────────────────┴───────────────────┴────────────┘
         Total params: 58 (232.00 B)
         Trainable params: 58 (232.00 B)
         Non-trainable params: 0 (0.00 B)
    """
    sequential_like = _sequential_like(model)
    if sequential_like:
        default_length = 88
        positions = list(positions or [0.45, 0.80, 1.0])
        headers = ["Layer (type)", "Output Shape", "Param #"]
        aligns = ["left", "left", "right"]
    else:
        default_length = 108
        positions = list(positions or [0.3, 0.56, 0.74, 1.0])
        headers = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        aligns = ["left", "left", "right", "left"]
    if show_trainable:
        default_length += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        headers.append("Trainable")
        aligns.append("center")
    if len(positions) != len(headers):
        raise ValueError(f"summary: positions must have {len(headers)} entries, got "
                         f"{len(positions)}")
    if positions[-1] > 1:  # absolute character positions
        positions = [p / positions[-1] for p in positions]
    default_length = min(default_length, shutil.get_terminal_size().columns - 4)
    length = int(line_length or default_length)
    avail = length - (len(headers) + 1)  # minus the vertical borders
    widths, current = [], 0
    for p in positions:
        w = int(p * avail) - current
        if w < 4:
            raise ValueError("Insufficient console width to print summary.")
        widths.append(w)
        current += w

    shapes = layer_output_shapes(model) if model.built else {}
    connections = _connections(model) if not sequential_like else {}

    def fields(layer: Any, prefix: str) -> list[str]:
        name = f"{prefix}{layer.name} ({type(layer).__name__})"
        if not getattr(layer, "built", True):
            params = "0 (unbuilt)"
        else:
            params = f"{sum(int(math.prod(w.shape)) for w in layer.weights):,}"
        row = [name, _fmt_shape(shapes.get(id(layer))), params]
        if not sequential_like:
            row.append(connections.get(id(layer), "-"))
        if show_trainable:
            row.append(("Y" if layer.trainable else "N") if layer.weights else "-")
        return row

    def layer_rows(layer: Any, level: int) -> list[list[str]]:
        prefix = "   " * level + "└ " if level else ""
        rows = [fields(layer, prefix)]
        inner = getattr(layer, "layers", None)
        if expand_nested and inner and hasattr(layer, "_functional"):
            for sub in inner:
                rows.extend(layer_rows(sub, level + 1))
        return rows

    layers = list(model.layers)
    lo, hi = _layer_range(layers, layer_range)
    rows = [r for layer in layers[lo:hi] for r in layer_rows(layer, 0)]

    trainable, trainable_bytes = _count(model.trainable_weights)
    frozen, frozen_bytes = _count(model.non_trainable_weights)
    opt = _optimizer_weights(model) if getattr(model, "compiled", False) else None
    total = trainable + frozen + (opt[0] if opt else 0)
    total_bytes = trainable_bytes + frozen_bytes + (opt[1] if opt else 0)
    text = [f'Model: "{model.name}"']
    text += _render(headers, rows, widths, aligns)
    text.append(f" Total params: {total:,} ({readable_memory_size(total_bytes)})")
    text.append(f" Trainable params: {trainable:,} ({readable_memory_size(trainable_bytes)})")
    text.append(f" Non-trainable params: {frozen:,} ({readable_memory_size(frozen_bytes)})")
    if opt is not None:
        text.append(f" Optimizer params: {opt[0]:,} ({readable_memory_size(opt[1])})")
    out = "\n".join(text)
    if print_fn is None:
        sys.stdout.write(out + "\n")
        sys.stdout.flush()
    else:
        print_fn(out)
