"""``keras.utils``: ``to_categorical``, ``normalize``, ``set_random_seed``, ``plot_model`` /
``model_to_dot``, ``Progbar``, ``PyDataset``, and the ``confusion_matrix`` /
``classification_report`` utilities of :mod:`lightgrad.keras.metrics`.

The progress bar is drawn by tqdm when it is installed (a widget in Jupyter when ipywidgets is
there too) and by a plain text bar otherwise.
"""

from __future__ import annotations

import math
import os
import random
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..tensor import Tensor
from .metrics import classification_report, confusion_matrix

__all__ = ["to_categorical", "normalize", "pad_sequences", "set_random_seed", "clear_session",
           "plot_model", "model_to_dot", "Progbar", "PyDataset", "Sequence",
           "confusion_matrix", "classification_report"]


# ============================================================================== arrays
def to_categorical(x: Any, num_classes: int | None = None) -> Any:
    """One-hot encode integer class labels: ``(..., )`` labels become ``(..., num_classes)``
    (a trailing axis of size 1 is dropped first, as in Keras).

    Args:
        x: integer labels (array-like or a lightgrad tensor).
        num_classes: the number of classes (default: the largest label + 1).

    Returns:
        A float NumPy array (float32 tensor for a tensor input).

    Example:
        >>> from lightgrad import keras
        >>> keras.utils.to_categorical([0, 2, 1], num_classes=3)
        array([[1., 0., 0.],
               [0., 0., 1.],
               [0., 1., 0.]])
    """
    is_tensor = isinstance(x, Tensor)
    arr = np.asarray(x.detach().numpy(force=True)) if is_tensor else np.asarray(x)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError("to_categorical: labels must be integers, got non-integer values")
    elif arr.dtype.kind not in "iub":
        raise TypeError(f"to_categorical: labels must be integers, got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    shape = arr.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    flat = arr.reshape(-1)
    if flat.size and flat.min() < 0:
        raise ValueError(f"to_categorical: labels must be non-negative, got {int(flat.min())}")
    top = int(flat.max()) + 1 if flat.size else 0
    if num_classes is None:
        num_classes = top
    elif top > num_classes:
        raise ValueError(f"to_categorical: label {top - 1} is out of range for "
                         f"num_classes={num_classes}")
    out: np.ndarray = np.zeros((flat.size, num_classes))
    out[np.arange(flat.size), flat] = 1.0
    out = out.reshape(shape + (num_classes,))
    if is_tensor:
        return Tensor._make(out.astype(np.float32))
    return out


def normalize(x: Any, axis: int = -1, order: int = 2) -> np.ndarray:
    """Scale ``x`` to unit ``order``-norm along ``axis`` (zero vectors stay zero).

    Example:
        >>> from lightgrad import keras
        >>> keras.utils.normalize([[3.0, 4.0], [0.0, 0.0]])
        array([[0.6, 0.8],
               [0. , 0. ]])
    """
    arr = np.asarray(x.detach().numpy(force=True) if isinstance(x, Tensor) else x,
                     dtype=np.float64 if not isinstance(x, np.ndarray) or x.dtype.kind != "f"
                     else x.dtype)
    norm = np.atleast_1d(np.linalg.norm(arr, order, axis))
    norm[norm == 0] = 1
    return arr / np.expand_dims(norm, axis)


def pad_sequences(sequences: Any, maxlen: int | None = None, dtype: Any = "int32",
                  padding: str = "pre", truncating: str = "pre", value: Any = 0.0) -> np.ndarray:
    """``keras.utils.pad_sequences``: sequences padded (and truncated) to one length, Keras's
    defaults (padding and truncating at the start). See :func:`lightgrad.text.pad_sequences`.

    Example:
        >>> from lightgrad import keras
        >>> keras.utils.pad_sequences([[1, 2, 3], [4, 5]], maxlen=3)
        array([[1, 2, 3],
               [0, 4, 5]], dtype=int32)
    """
    from ..text import pad_sequences as _pad

    return _pad(sequences, maxlen=maxlen, dtype=dtype, padding=padding, truncating=truncating,
                value=value)


def clear_session() -> None:
    """Forget the layer names given so far, as Keras's ``keras.utils.clear_session()``: the
    next ``Dense`` is ``dense`` again.

    Example:
        >>> from lightgrad import keras
        >>> keras.utils.clear_session()
        >>> [keras.layers.Dense(1).name, keras.layers.Dense(1).name]
        ['dense', 'dense_1']
    """
    from .layers.layer import reset_names

    reset_names()


def set_random_seed(seed: int) -> None:
    """Seed every random generator a Keras program draws from: lightgrad's default generator
    (weights, dropout, shuffling), NumPy's global generator and Python's ``random``.

    Example:
        >>> import numpy as np
        >>> from lightgrad import keras
        >>> keras.utils.set_random_seed(1)
        >>> a = np.random.rand()
        >>> keras.utils.set_random_seed(1)
        >>> a == np.random.rand()
        True
    """
    from .. import backend

    if not isinstance(seed, int | np.integer) or isinstance(seed, bool):
        raise ValueError(f"Expected `seed` argument to be an integer. Received: seed={seed!r} "
                         f"(of type {type(seed).__name__})")
    if not 0 <= int(seed) < 2 ** 32:
        raise ValueError(f"set_random_seed: seed must be in [0, 2**32), got {seed}")
    random.seed(int(seed))
    np.random.seed(int(seed))
    backend.manual_seed(int(seed))


# ============================================================================== datasets
class PyDataset:
    """Base class of Keras-style batch datasets: ``__getitem__(index)`` returns batch number
    ``index`` (``(x, y)``, ``(x, y, sample_weight)`` or ``x``) and ``__len__`` the number of
    batches; ``on_epoch_end`` runs after every epoch (shuffle there). ``fit``, ``evaluate``
    and ``predict`` accept it directly. ``workers``/``use_multiprocessing``/``max_queue_size``
    are accepted for compatibility and ignored (batches are produced in the calling thread).
    """

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False,
                 max_queue_size: int = 10) -> None:
        self.workers = workers
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    @property
    def num_batches(self) -> int | None:
        try:
            return len(self)
        except NotImplementedError:
            return None

    def on_epoch_begin(self) -> None:
        """Called before each epoch."""

    def on_epoch_end(self) -> None:
        """Called after each epoch."""


Sequence = PyDataset  # the Keras 2 name


# ============================================================================== progress
def _in_notebook() -> bool:
    return type(sys.stdout).__module__.startswith("ipykernel")


def _is_tty() -> bool:
    try:
        return bool(sys.stdout.isatty())
    except (AttributeError, ValueError):
        return False


def interactive_output() -> bool:
    """Whether standard output is a terminal or a Jupyter notebook (where a live progress bar
    makes sense), rather than a file or a pipe."""
    return _is_tty() or _in_notebook()


def resolve_verbose(verbose: Any) -> int:
    """``"auto"`` is 1 (a progress bar) on a terminal or in a notebook and 2 (one line per
    epoch) when the output goes to a file; 0, 1 and 2 stay as they are."""
    if verbose == "auto":
        return 1 if interactive_output() else 2
    if isinstance(verbose, bool) or not isinstance(verbose, int | np.integer) \
            or verbose not in (0, 1, 2):
        raise ValueError(f'verbose must be "auto", 0, 1 or 2, got {verbose!r}')
    return int(verbose)


def _tqdm_class() -> Any:
    """The tqdm class to draw bars with (the notebook widget in Jupyter when ipywidgets is
    installed), or None when tqdm is not installed."""
    try:
        from tqdm.std import tqdm
    except ImportError:
        return None
    if _in_notebook():
        try:
            import ipywidgets  # noqa: F401
            from tqdm.notebook import tqdm as notebook_tqdm
            return notebook_tqdm
        except ImportError:
            pass
    return tqdm


def _fmt_value(v: Any) -> str:
    if isinstance(v, str):
        return v
    arr = np.asarray(v, dtype=np.float64)
    avg = float(arr.mean()) if arr.size else 0.0
    return f"{avg:.4f}" if abs(avg) > 1e-3 else f"{avg:.4e}"


def _fmt_time(seconds_per_unit: float, unit: str) -> str:
    if seconds_per_unit >= 1 or seconds_per_unit == 0:
        return f"{seconds_per_unit:.0f}s/{unit}"
    if seconds_per_unit >= 1e-3:
        return f"{seconds_per_unit * 1e3:.0f}ms/{unit}"
    return f"{seconds_per_unit * 1e6:.0f}us/{unit}"


def _fmt_eta(eta: float) -> str:
    if eta > 3600:
        return f"{int(eta // 3600)}:{int((eta % 3600) // 60):02d}:{int(eta % 60):02d}"
    if eta > 60:
        return f"{int(eta // 60)}:{int(eta % 60):02d}"
    return f"{int(eta)}s"


class Progbar:
    """A progress bar (``keras.utils.Progbar``).

    Args:
        target: the number of steps expected (``None`` if unknown).
        width: the width of the text bar.
        verbose: 0 silent, 1 a live bar on a terminal or in a notebook (tqdm when installed,
            else text; written to a file, only the final line), 2 only a final summary line.
        interval: the minimum time between two redraws (seconds).
        stateful_metrics: names of values shown as given; the others are averaged over the
            steps.
        unit_name: the step unit shown (``"step"``).

    Example:
        >>> from lightgrad import keras
        >>> bar = keras.utils.Progbar(3, verbose=2)
        >>> for i in range(3):
        ...     bar.update(i + 1, [("loss", 0.5)])  # doctest: +ELLIPSIS
        3/3 - ...s - ...step - loss: 0.5000
    """

    def __init__(self, target: int | None, width: int = 20, verbose: int = 1,
                 interval: float = 0.05, stateful_metrics: Any = None,
                 unit_name: str = "step") -> None:
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics or ())
        self._all_stateful = False
        self._dynamic = interactive_output()
        self._values: dict[str, list] = {}
        self._values_order: list[str] = []
        self._seen_so_far = 0
        self._start = time.time()
        self._last_update = 0.0
        self._time_after_first_step: float | None = None
        self._prev_width = 0
        self._bar: Any = None

    # ------------------------------------------------------------------ bookkeeping
    def _record(self, current: int, values: Any, finalize: bool) -> None:
        for k, v in values or []:
            if k not in self._values_order:
                self._values_order.append(k)
            if self._all_stateful or k in self.stateful_metrics or finalize:
                self._values[k] = [v, 1]
            else:
                base = max(current - self._seen_so_far, 1)
                v = float(np.mean(np.asarray(v, dtype=np.float64)))
                if k not in self._values:
                    self._values[k] = [v * base, base]
                else:
                    self._values[k][0] += v * base
                    self._values[k][1] += base
        self._seen_so_far = current

    def _metrics_text(self) -> str:
        parts = []
        for k in self._values_order:
            v, n = self._values[k]
            value = v if n == 1 else np.asarray(v, dtype=np.float64) / max(1, n)
            parts.append(f"{k}: {_fmt_value(value)}")
        return " - ".join(parts)

    def _step_time(self, current: int, now: float) -> float:
        if not current:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            per = (now - self._time_after_first_step) / (current - 1)
        else:
            per = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per

    # ------------------------------------------------------------------ drawing
    def update(self, current: int, values: Any = None, finalize: bool | None = None) -> None:
        """Move the bar to step ``current``; ``values``: ``[(name, value), ...]``."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        self._record(current, values, finalize)
        now = time.time()
        per_step = self._step_time(current, now)
        if self.verbose == 1:
            # a live bar on a terminal or in a notebook; a log file gets the final lines only
            tqdm = _tqdm_class() if self._dynamic else None
            if tqdm is not None:
                self._draw_tqdm(tqdm, current, finalize, now)
            else:
                self._draw_text(current, finalize, now, per_step)
        elif self.verbose == 2 and finalize:
            target = self.target if self.target is not None else current
            digits = int(math.log10(target)) + 1 if target > 0 else 1
            line = f"{current:{digits}d}/{target} - {now - self._start:.0f}s - " \
                   f"{_fmt_time(per_step, self.unit_name)}"
            text = self._metrics_text()
            _write(line + (f" - {text}" if text else "") + "\n")
        self._last_update = now

    def _draw_tqdm(self, tqdm: Any, current: int, finalize: bool, now: float) -> None:
        if self._bar is None:
            fmt = None
            if self.target:
                fmt = ("{n_fmt}/{total_fmt} |{bar:" + str(self.width) + "}| {elapsed}<"
                       "{remaining}, {rate_fmt}{postfix}")
            self._bar = tqdm(total=self.target, unit=self.unit_name, file=sys.stdout,
                             leave=True, dynamic_ncols=True, mininterval=self.interval,
                             bar_format=fmt)
        bar = self._bar
        text = self._metrics_text()
        if text:
            bar.set_postfix_str(text, refresh=False)
        if finalize and (bar.total is None or bar.total < current):
            bar.total = current
        overflow = ""
        if finalize and text and _is_tty():
            # the live bar is cut to the terminal's width; the final one keeps every value
            # (validation included): what does not fit goes on the next line
            meter = dict(bar.format_dict, ncols=None, n=current)
            if len(bar.format_meter(**meter)) > shutil.get_terminal_size().columns:
                bar.set_postfix_str("", refresh=False)
                overflow = text
        if current > bar.n:
            bar.update(current - bar.n)
        if finalize:
            bar.close()
            self._bar = None
            if overflow:
                width = max(20, shutil.get_terminal_size().columns - 1)
                pieces = overflow.split(" - ")
                lines, line = [], ""
                for piece in pieces:
                    cand = f"{line} - {piece}" if line else piece
                    if line and len(cand) > width:
                        lines.append(line)
                        line = piece
                    else:
                        line = cand
                lines.append(line)
                _write("\n".join(lines) + "\n")

    def _draw_text(self, current: int, finalize: bool, now: float, per_step: float) -> None:
        if not self._dynamic and not finalize:
            return  # a log file gets the final line only
        if not finalize and now - self._last_update < self.interval:
            return
        if self.target:
            digits = int(math.log10(self.target)) + 1
            bar = f"{current:{digits}d}/{self.target} ["
            done = int(self.width * min(current / self.target, 1.0))
            if done > 0:
                bar += "=" * (done - 1) + (">" if current < self.target else "=")
            bar += "." * (self.width - done) + "]"
        else:
            bar = f"{current:7d}/Unknown"
        if self.target and not finalize:
            info = f" - ETA: {_fmt_eta(per_step * (self.target - current))}"
        else:
            info = f" - {now - self._start:.0f}s {_fmt_time(per_step, self.unit_name)}"
        text = self._metrics_text()
        line = bar + info + (f" - {text}" if text else "")
        if self._dynamic and not finalize and _is_tty():
            line = line[:max(20, shutil.get_terminal_size().columns - 1)]  # no wrapped redraws
        pad = " " * max(0, self._prev_width - len(line))
        self._prev_width = len(line)
        prefix = "\r" if self._dynamic else ""
        _write(prefix + line + pad + ("\n" if finalize else ""))

    def add(self, n: int, values: Any = None) -> None:
        """Advance by ``n`` steps."""
        self.update(self._seen_so_far + n, values)


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


# ============================================================================== plot_model
def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def model_to_dot(model: Any, show_shapes: bool = False, show_dtype: bool = False,
                 show_layer_names: bool = True, rankdir: str = "TB",
                 expand_nested: bool = False, dpi: int = 200, subgraph: bool = False,
                 show_layer_activations: bool = False, show_trainable: bool = False,
                 **kwargs: Any) -> str:
    """The model's layer graph as Graphviz DOT source text (Keras returns a ``pydot.Dot``;
    this returns its text, which ``dot`` or any Graphviz viewer renders).

    Example:
        >>> from lightgrad import keras
        >>> model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])
        >>> print(keras.utils.model_to_dot(model).splitlines()[0])
        digraph model {
    """
    from .summary import layer_output_shapes

    if rankdir not in ("TB", "LR"):
        raise ValueError(f"rankdir must be 'TB' or 'LR', got {rankdir!r}")
    shapes = layer_output_shapes(model) if show_shapes else {}
    lines = ["digraph model {" if not subgraph else f"subgraph cluster_{id(model)} {{"]
    if not subgraph:
        lines.append(f"  graph [rankdir={rankdir}, dpi={int(dpi)}, concentrate=true];")
        lines.append('  node [shape=box, style="rounded,filled", fillcolor="#f3f6fa", '
                     'fontname="Helvetica"];')
    ids: dict[int, str] = {}
    counter = [0]

    def node_id(obj: Any) -> str:
        if id(obj) not in ids:
            ids[id(obj)] = f"n{counter[0]}"
            counter[0] += 1
        return ids[id(obj)]

    def label(layer: Any, class_name: str | None = None, shape: Any = None,
              dtype: Any = None) -> str:
        cls = class_name or type(layer).__name__
        parts = [f"{layer.name} ({cls})" if show_layer_names else cls]
        if show_shapes:
            parts.append(f"Output shape: {shape if shape is not None else '?'}")
        if show_dtype:
            parts.append(f"Output dtype: {dtype or getattr(layer, 'dtype', '?')}")
        act = getattr(layer, "activation", None)
        if show_layer_activations and act is not None:
            parts.append(f"Activation: {getattr(act, '__name__', str(act))}")
        if show_trainable:
            parts.append(f"Trainable: {getattr(layer, 'trainable', True)}")
        return _dot_escape("\n".join(parts))

    edges: list[tuple[str, str]] = []
    nested_ends: dict[int, tuple[str, str]] = {}

    def add_layer(layer: Any, indent: str = "  ") -> None:
        inner = getattr(layer, "layers", None)
        if expand_nested and inner and hasattr(layer, "_functional"):
            lines.append(f"{indent}subgraph cluster_{node_id(layer)} {{")
            lines.append(f'{indent}  label="{_dot_escape(layer.name)}";')
            first = last = None
            prev = None
            for sub in inner:
                add_layer(sub, indent + "  ")
                head, tail = nested_ends.get(id(sub), (node_id(sub), node_id(sub)))
                if prev is not None:
                    edges.append((prev, head))
                first = first or head
                prev = last = tail
            lines.append(f"{indent}}}")
            if first is not None and last is not None:
                nested_ends[id(layer)] = (first, last)
            return
        shape = shapes.get(id(layer))
        lines.append(f'{indent}{node_id(layer)} [label="{label(layer, shape=shape)}"];')

    def ends(layer: Any) -> tuple[str, str]:
        return nested_ends.get(id(layer), (node_id(layer), node_id(layer)))

    if getattr(model, "_functional", False):
        for layer in model.layers:
            add_layer(layer)
        seen: set[tuple[str, str]] = set()
        from .layers.layer import _flatten

        for node in model._nodes:
            for parent in _flatten(node.inputs):
                src_layer = parent.layer if parent.layer is not None else \
                    getattr(parent, "input_layer", None)
                if src_layer is None:
                    continue
                edge = (ends(src_layer)[1], ends(node.layer)[0])
                if edge not in seen:
                    seen.add(edge)
                    edges.append(edge)
    else:
        layers = list(model.layers)
        prev = None
        batch_shape = getattr(model, "_input_batch_shape", None)
        if batch_shape is not None and layers:
            from .layers.core import InputLayer

            class _In:
                name = "input_layer"

            nid = node_id(_In)
            text = label(_In, class_name=InputLayer.__name__, shape=tuple(batch_shape),
                         dtype="float32")
            lines.append(f'  {nid} [label="{text}"];')
            prev = nid
        for layer in layers:
            add_layer(layer)
            head, tail = ends(layer)
            if prev is not None:
                edges.append((prev, head))
            prev = tail
    for a, b in edges:
        lines.append(f"  {a} -> {b};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def plot_model(model: Any, to_file: Any = "model.png", show_shapes: bool = False,
               show_dtype: bool = False, show_layer_names: bool = True, rankdir: str = "TB",
               expand_nested: bool = False, dpi: int = 200,
               show_layer_activations: bool = False, show_trainable: bool = False,
               **kwargs: Any) -> None:
    """Draw the model's layer graph to ``to_file``.

    A ``.dot``/``.gv`` name gets the Graphviz DOT text (always possible). Other formats
    (``.png``, ``.svg``, ``.pdf``, ``.jpg``) are rendered by Graphviz's ``dot`` program when it is
    installed; without it the DOT text is written next to ``to_file`` (same name, ``.dot``) and a
    warning says how to render it.

    Example:
        >>> import os, tempfile
        >>> from lightgrad import keras
        >>> model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "model.dot")
        >>> keras.utils.plot_model(model, to_file=path, show_shapes=True)
        >>> "Output shape: (None, 2)" in open(path).read()
        True
    """
    dot_text = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype,
                            show_layer_names=show_layer_names, rankdir=rankdir,
                            expand_nested=expand_nested, dpi=dpi,
                            show_layer_activations=show_layer_activations,
                            show_trainable=show_trainable)
    path = Path(os.fspath(to_file))
    ext = path.suffix.lower().lstrip(".")
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    if ext in ("dot", "gv"):
        path.write_text(dot_text, encoding="utf-8")
        return
    if not ext:
        raise ValueError(f"plot_model: to_file needs an extension (.png, .svg, .pdf, .dot), "
                         f"got {str(path)!r}")
    dot = shutil.which("dot")
    if dot is None:
        dot_path = path.with_suffix(".dot")
        dot_path.write_text(dot_text, encoding="utf-8")
        warnings.warn(f"plot_model: Graphviz's `dot` program was not found, so {path} was not "
                      f"drawn; the graph was written as DOT text to {dot_path}. Install "
                      f"Graphviz (e.g. `apt-get install graphviz` or `brew install graphviz`) "
                      f"and run `dot -T{ext} {dot_path} -o {path}`, or view the DOT file "
                      "with any Graphviz viewer.", stacklevel=2)
        return
    result = subprocess.run([dot, f"-T{ext}", "-o", str(path)], input=dot_text.encode(),
                            capture_output=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"plot_model: `dot -T{ext}` failed: "
                           f"{result.stderr.decode(errors='replace').strip()}")
