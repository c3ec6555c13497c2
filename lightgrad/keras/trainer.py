"""The Keras training loop: ``compile``, ``fit``, ``evaluate``, ``predict`` and the per-batch
methods, with Keras 3's arguments, callback order and logs.

One training step is exactly the hand-written lightgrad loop (forward, loss, ``zero_grad``,
``backward``, ``step``), wrapped in callbacks, metrics and the progress bar. Data may be NumPy
arrays or lightgrad tensors (or lists/dicts of them for several inputs/outputs), a
``DataLoader`` or any re-iterable of batches, a Python generator (one pass, or endless with
``steps_per_epoch``) or a :class:`~lightgrad.keras.utils.PyDataset`; batches are ``x``,
``(x, y)`` or ``(x, y, sample_weight)``.
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Iterator
from itertools import chain
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import backend
from ..autograd.grad_mode import no_grad
from ..tensor import Tensor
from . import callbacks as cbks
from . import losses as losses_mod
from . import metrics as metrics_mod
from . import optimizers as optimizers_mod
from .utils import PyDataset, resolve_verbose

__all__ = ["Trainer"]


# ============================================================================== data structures
def _is_leaf(x: Any) -> bool:
    return isinstance(x, np.ndarray | Tensor)


def _to_numpy_tree(x: Any) -> Any:
    """Arrays and tensors (nested in lists/tuples/dicts) as NumPy arrays; a nested Python list
    of numbers becomes one array."""
    if x is None:
        return None
    if isinstance(x, Tensor):
        return x.detach().numpy(force=True)
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, dict):
        return {k: _to_numpy_tree(v) for k, v in x.items()}
    if isinstance(x, list | tuple) and any(isinstance(v, np.ndarray | Tensor | dict | list |
                                                      tuple) for v in x):
        if all(isinstance(v, list | tuple) for v in x) and \
                not any(isinstance(w, np.ndarray | Tensor | dict) for v in x for w in v):
            return np.asarray(x)  # a nested list of numbers: one array
        return type(x)(_to_numpy_tree(v) for v in x)
    return np.asarray(x)


def _leaves(x: Any) -> list:
    if x is None:
        return []
    if isinstance(x, dict):
        return [v for item in x.values() for v in _leaves(item)]
    if isinstance(x, list | tuple):
        return [v for item in x for v in _leaves(item)]
    return [x]


def _len(x: Any) -> int:
    leaves = _leaves(x)
    if not leaves:
        raise ValueError("no input data")
    return int(leaves[0].shape[0])


def _take(x: Any, idx: Any) -> Any:
    if x is None:
        return None
    if isinstance(x, dict):
        return {k: _take(v, idx) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return type(x)(_take(v, idx) for v in x)
    return x[idx]


def _pack(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """A batch as Keras passes it to ``train_step``: ``x``, ``(x, y)`` or
    ``(x, y, sample_weight)``."""
    if y is None and sample_weight is None:
        return (x,) if isinstance(x, list | tuple) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def _unpack(data: Any) -> tuple[Any, Any, Any]:
    """``(x, y, sample_weight)`` from a batch (``keras.utils.unpack_x_y_sample_weight``)."""
    if isinstance(data, list | tuple):
        if len(data) == 1:
            return data[0], None, None
        if len(data) == 2:
            return data[0], data[1], None
        if len(data) == 3:
            return data[0], data[1], data[2]
        raise ValueError(f"Data is expected to be in format `x`, `(x,)`, `(x, y)`, or "
                         f"`(x, y, sample_weight)`, found a {type(data).__name__} of "
                         f"{len(data)} elements")
    return data, None, None


def _map_tensors(fn: Any, x: Any) -> Any:
    if x is None:
        return None
    if isinstance(x, dict):
        return {k: _map_tensors(fn, v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return type(x)(_map_tensors(fn, v) for v in x)
    return fn(x)


def _batch_size(x: Any) -> int:
    leaves = _leaves(x)
    for leaf in leaves:
        if hasattr(leaf, "shape") and len(leaf.shape):
            return int(leaf.shape[0])
    return 1


def _scalar(v: Any) -> float:
    if isinstance(v, Tensor):
        return float(v.detach().item())
    return float(np.asarray(v, dtype=np.float64).reshape(-1)[0])


def _pythonify(logs: Any) -> dict:
    """Logs with Python floats (arrays of several values are kept)."""
    out: dict = {}
    for k, v in (logs or {}).items():
        if isinstance(v, dict):
            out.update(_pythonify(v))
            continue
        if isinstance(v, Tensor):
            v = v.detach().numpy(force=True)
        if isinstance(v, np.ndarray | np.generic):
            v = float(v) if np.ndim(v) == 0 else np.asarray(v)
        out[k] = v
    return out


def _concat(outs: list) -> Any:
    first = outs[0]
    if isinstance(first, dict):
        return {k: _concat([o[k] for o in outs]) for k in first}
    if isinstance(first, list | tuple):
        return type(first)(_concat([o[i] for o in outs]) for i in range(len(first)))
    return np.concatenate(outs)


# ============================================================================== data sources
class _Source:
    """The batches of one pass over some data."""

    one_shot = False
    num_batches: int | None = None

    def iterate(self) -> Iterator:
        raise NotImplementedError

    def peek(self) -> Any:
        """The first batch, without consuming data or random numbers."""
        raise NotImplementedError

    def on_epoch_end(self) -> None:
        pass


class _ArrayBatches(_Source):
    """Batches of in-memory arrays, shuffled per epoch with lightgrad's default generator."""

    def __init__(self, x: Any, y: Any, sw: Any, batch_size: int, shuffle: Any) -> None:
        self.x, self.y, self.sw = x, y, sw
        self.n = _len(x)
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.num_batches = math.ceil(self.n / batch_size)

    def iterate(self) -> Iterator:
        idx = backend.get_rng(None).permutation(self.n) if self.shuffle else None
        for start in range(0, self.n, self.batch_size):
            b: Any = idx[start:start + self.batch_size] if idx is not None else \
                slice(start, start + self.batch_size)
            yield _pack(_take(self.x, b), _take(self.y, b), _take(self.sw, b))

    def peek(self) -> Any:
        b = slice(0, self.batch_size)
        return _pack(_take(self.x, b), _take(self.y, b), _take(self.sw, b))


class _IterableBatches(_Source):
    """A ``DataLoader`` (or any re-iterable of batches): a fresh pass each epoch."""

    def __init__(self, data: Any) -> None:
        self.data = data
        try:
            self.num_batches = len(data)
        except TypeError:
            self.num_batches = None

    def iterate(self) -> Iterator:
        return iter(self.data)

    def peek(self) -> Any:
        state = backend.default_generator.get_state()
        try:
            return next(iter(self.data))
        except StopIteration:
            raise ValueError("The data is empty: it yielded no batch") from None
        finally:  # the peek must not shift the shuffling of the first epoch
            backend.default_generator.set_state(state)


class _PyDatasetBatches(_Source):
    """A :class:`PyDataset`: batch ``i`` is ``data[i]``; ``on_epoch_end`` after each pass."""

    def __init__(self, data: Any) -> None:
        self.data = data
        self.num_batches = data.num_batches if hasattr(data, "num_batches") else len(data)

    def iterate(self) -> Iterator:
        if hasattr(self.data, "on_epoch_begin"):
            self.data.on_epoch_begin()
        n = self.num_batches
        i = 0
        while n is None or i < n:
            try:
                batch = self.data[i]
            except IndexError:
                if n is None:
                    return
                raise
            yield batch
            i += 1

    def peek(self) -> Any:
        return self.data[0]

    def on_epoch_end(self) -> None:
        if hasattr(self.data, "on_epoch_end"):
            self.data.on_epoch_end()


class _GeneratorBatches(_Source):
    """A Python generator/iterator: consumed once, across epochs when ``steps_per_epoch`` is
    given."""

    one_shot = True

    def __init__(self, gen: Iterator) -> None:
        self.gen = gen

    def iterate(self) -> Iterator:
        return self.gen

    def peek(self) -> Any:
        try:
            first = next(self.gen)
        except StopIteration:
            raise ValueError("The generator is exhausted: it yielded no batch") from None
        self.gen = chain([first], self.gen)
        return first


class _EpochIterator:
    """``(step, batch)`` pairs of one epoch. With ``steps`` the epoch stops after that many
    batches and the next epoch continues where it stopped (restarting a re-iterable source
    when it runs out), as Keras does."""

    def __init__(self, source: _Source, steps: int | None) -> None:
        self.source = source
        self.steps = steps
        self.num_batches = steps if steps is not None else source.num_batches
        self._it: Iterator | None = None
        self.exhausted = False

    def __iter__(self) -> Iterator:
        if self.steps is None:
            count = 0
            for count, batch in enumerate(self.source.iterate(), 1):  # noqa: B007
                yield count - 1, batch
            if count == 0:
                self.exhausted = True
            if not self.source.one_shot:
                self.source.on_epoch_end()
            return
        for step in range(self.steps):
            if self._it is None:
                self._it = iter(self.source.iterate())
            try:
                batch = next(self._it)
            except StopIteration:
                if self.source.one_shot:
                    self.exhausted = True
                    return
                self.source.on_epoch_end()
                self._it = iter(self.source.iterate())
                try:
                    batch = next(self._it)
                except StopIteration:
                    self.exhausted = True
                    return
            yield step, batch


def _is_array_data(x: Any) -> bool:
    if isinstance(x, np.ndarray | Tensor | list | tuple | dict):
        return True
    return hasattr(x, "__array__") and not hasattr(x, "__next__")


def _make_source(x: Any, y: Any, sample_weight: Any, batch_size: int | None, shuffle: Any,
                 what: str) -> _Source:
    if x is None:
        raise ValueError(f"{what}: no input data (x) given")
    from ..utils.data import Dataset

    if isinstance(x, Dataset):
        raise ValueError(f"{what}: got a {type(x).__name__} of single samples; wrap it in a "
                         "batching loader: DataLoader(dataset, batch_size=32, shuffle=True)")
    if isinstance(x, PyDataset):
        kind: type[_Source] = _PyDatasetBatches
    elif isinstance(x, Iterator):
        kind = _GeneratorBatches
    elif not _is_array_data(x) and hasattr(x, "__iter__"):
        kind = _IterableBatches
    else:
        kind = _ArrayBatches
    if kind is not _ArrayBatches:
        if y is not None:
            raise ValueError(f"{what}: `y` must not be given when `x` is a DataLoader, a "
                             "generator or a PyDataset (its batches hold the targets)")
        if sample_weight is not None:
            raise ValueError(f"{what}: `sample_weight` is not supported when `x` is a "
                             "DataLoader, a generator or a PyDataset; yield (x, y, "
                             "sample_weight) batches instead")
        return kind(x)  # type: ignore[call-arg]
    if batch_size is not None and (isinstance(batch_size, bool)
                                   or not isinstance(batch_size, int | np.integer)
                                   or batch_size <= 0):
        raise ValueError(f"{what}: batch_size must be a positive integer, got {batch_size!r}")
    x, y, sample_weight = (_to_numpy_tree(v) for v in (x, y, sample_weight))
    for name, value in (("x", x), ("y", y), ("sample_weight", sample_weight)):
        if any(np.ndim(a) == 0 for a in _leaves(value)):
            raise ValueError(f"{what}: `{name}` must have a batch (first) dimension")
    sizes = {"x": [int(a.shape[0]) for a in _leaves(x)],
             "y": [int(a.shape[0]) for a in _leaves(y)],
             "sample_weight": [int(a.shape[0]) for a in _leaves(sample_weight)]}
    if not sizes["x"]:
        raise ValueError(f"{what}: no input data (x) given")
    if len({n for s in sizes.values() for n in s}) > 1:
        detail = " ".join(f"'{k}' sizes: {', '.join(map(str, v))}" for k, v in sizes.items() if v)
        raise ValueError(f"Data cardinality is ambiguous. Make sure all arrays contain the same "
                         f"number of samples. {detail}")
    return _ArrayBatches(x, y, sample_weight, int(batch_size or 32), shuffle)


def _class_weight_fn(class_weight: dict) -> Any:
    if not isinstance(class_weight, dict) or not class_weight:
        raise ValueError(f"class_weight must be a non-empty dict {{class index: weight}}, got "
                         f"{class_weight!r}")
    for k in class_weight:
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0:
            raise ValueError(f"class_weight keys must be non-negative class indices, got {k!r}")
    size = int(max(class_weight)) + 1
    table = np.ones(size, np.float32)
    for k, v in class_weight.items():
        table[int(k)] = float(v)

    def weights(y: Any) -> np.ndarray:
        arr = metrics_mod._np(y)
        if arr.ndim > 1:
            arr = arr.argmax(-1) if arr.shape[-1] != 1 else arr[..., 0]
        labels = np.round(arr.reshape(arr.shape[0], -1)[:, 0] if arr.ndim > 1 else arr)
        labels = labels.astype(np.int64)
        out = np.ones(labels.shape[0], np.float32)
        inside = (labels >= 0) & (labels < size)
        out[inside] = table[labels[inside]]
        return out

    return weights


# ============================================================================== compile helpers
def _structure(y_pred: Any, output_names: list | None) -> tuple[list, list]:
    """The keys of the model outputs (None for a single tensor, indices, dict keys) and their
    names (None when unknown)."""
    if isinstance(y_pred, dict):
        keys = list(y_pred)
        if output_names and set(output_names) == set(keys):
            keys = list(output_names)
        return keys, list(keys)
    if isinstance(y_pred, list | tuple):
        n = len(y_pred)
        names = list(output_names) if output_names and len(output_names) == n else [None] * n
        return list(range(n)), names
    name = output_names[0] if output_names and len(output_names) == 1 else None
    return [None], [name]


def _pick(struct: Any, key: Any, keys: list, names: list, what: str) -> Any:
    """The element of ``struct`` (targets, weights) for the output ``key``: shared when not
    nested, by position for a list, by name for a dict."""
    if key is None:
        if isinstance(struct, list | tuple) and len(struct) == 1:
            return struct[0]
        if isinstance(struct, dict) and len(struct) == 1:
            return next(iter(struct.values()))
        return struct
    if isinstance(struct, dict):
        name = key if isinstance(key, str) else names[keys.index(key)]
        if name not in struct:
            raise ValueError(f"{what}: no entry for the output {name!r} (got keys "
                             f"{sorted(struct)})")
        return struct[name]
    if isinstance(struct, list | tuple):
        if len(struct) != len(keys):
            raise ValueError(f"{what}: the model has {len(keys)} outputs but {len(struct)} "
                             f"{what} were given")
        i = key if isinstance(key, int) else keys.index(key)
        return struct[i]
    return struct


def _per_output(spec: Any, keys: list, names: list, what: str) -> list:
    """One entry of a ``loss``/``loss_weights``/``metrics`` argument per model output."""
    n = len(keys)
    if isinstance(spec, dict):
        if n == 1 and keys == [None]:
            if len(spec) != 1 or (names[0] is not None and names[0] not in spec):
                raise ValueError(f"Expected keys {names} in {what} dict, but found "
                                 f"{what}.keys()={list(spec)}")
            return [next(iter(spec.values()))]
        known = [k if isinstance(k, str) else names[i] for i, k in enumerate(keys)]
        unknown = [k for k in spec if k not in known]
        if unknown:
            raise ValueError(f"In the dict argument `{what}`, key {unknown[0]!r} does not "
                             f"correspond to any model output (outputs: {known})")
        return [spec.get(k) for k in known]
    if isinstance(spec, list | tuple) and n > 1:
        if len(spec) != n:
            raise ValueError(f"For a model with multiple outputs, when providing the `{what}` "
                             f"argument as a list, it should have as many entries as the model "
                             f"has outputs. Received: {what}={spec!r} of length {len(spec)} "
                             f"whereas the model has {n} outputs.")
        return list(spec)
    return [spec] * n


def _shape_kind(y_true: Any, y_pred: Any) -> tuple[bool, bool]:
    yt = tuple(getattr(y_true, "shape", ()))
    yp = tuple(getattr(y_pred, "shape", ()))
    binary = len(yp) <= 1 or yp[-1] == 1
    sparse = len(yt) < len(yp) or (len(yt) > 0 and yt[-1] == 1 and len(yp) > 0 and yp[-1] > 1)
    return binary, sparse


def _wrap_loss(obj: Any) -> Any:
    """A callable ``fn(y_true, y_pred, sample_weight) -> scalar Tensor``."""
    from .. import nn

    if isinstance(obj, losses_mod.Loss):
        return obj
    if isinstance(obj, nn.Module):
        def module_loss(y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
            if sample_weight is not None:
                raise ValueError(f"sample_weight/class_weight need a keras loss; "
                                 f"{type(obj).__name__} (an nn module) cannot weight samples")
            return obj(y_pred, y_true)
        module_loss.name = _snake(type(obj).__name__)  # type: ignore[attr-defined]
        return module_loss

    def function_loss(y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        values = obj(y_true, y_pred)
        if not isinstance(values, Tensor):
            raise TypeError(f"the loss function {getattr(obj, '__name__', obj)!r} must return "
                            f"a lightgrad Tensor (use lightgrad ops), got "
                            f"{type(values).__name__}")
        if sample_weight is not None:
            sw = sample_weight if isinstance(sample_weight, Tensor) else Tensor(sample_weight)
            sw = sw.to(values.dtype)
            values = values * sw.reshape(tuple(sw.shape) + (1,) * (values.ndim - sw.ndim))
        return values.mean() if values.ndim else values

    function_loss.name = getattr(obj, "__name__", type(obj).__name__)  # type: ignore
    return function_loss


def _snake(name: str) -> str:
    from .layers.layer import _snake as snake

    return snake(name)


def _resolve_loss(spec: Any, y_true: Any, y_pred: Any) -> Any:
    if spec is None:
        return None
    if isinstance(spec, str) and spec.lower() in ("crossentropy", "ce"):
        binary, sparse = _shape_kind(y_true, y_pred)
        if binary:
            return losses_mod.BinaryCrossentropy()
        return losses_mod.SparseCategoricalCrossentropy() if sparse else \
            losses_mod.CategoricalCrossentropy()
    return _wrap_loss(losses_mod.get(spec))


def _check_loss_spec(spec: Any) -> None:
    """Fail at ``compile`` for unknown loss names."""
    if isinstance(spec, dict):
        for v in spec.values():
            _check_loss_spec(v)
    elif isinstance(spec, list | tuple):
        for v in spec:
            _check_loss_spec(v)
    elif spec is not None and not (isinstance(spec, str) and spec.lower() in ("crossentropy",
                                                                               "ce")):
        losses_mod.get(spec)


class _CompileLoss:
    """The compiled loss of a model with one or several outputs: one loss per output (a
    single loss is shared), weighted by ``loss_weights`` and summed. With several losses each
    output's unweighted loss is tracked as ``<output>_loss``."""

    def __init__(self, loss: Any, loss_weights: Any, output_names: list | None) -> None:
        if loss_weights is not None and (isinstance(loss_weights, bool) or not isinstance(
                loss_weights, list | tuple | dict | float | int)):
            raise ValueError("Expected `loss_weights` argument to be a float (single output "
                             "case) or a list, tuple, or dict (multiple output case). Received "
                             f"instead: loss_weights={loss_weights!r} of type "
                             f"{type(loss_weights).__name__}")
        _check_loss_spec(loss)
        self._user_loss = loss
        self._user_weights = loss_weights
        self.output_names = output_names
        self.built = False
        self.metrics: list[metrics_mod.Mean] = []
        self._entries: list[tuple[Any, Any, Any, Any]] = []  # key, fn, weight, tracker
        self._keys: list = []
        self._names: list = []

    def build(self, y_true: Any, y_pred: Any) -> None:
        keys, names = _structure(y_pred, self.output_names)
        specs = _per_output(self._user_loss, keys, names, "loss")
        weights = [None] * len(keys) if self._user_weights is None else \
            _per_output(self._user_weights, keys, names, "loss_weights")
        entries = []
        for i, (key, spec, w) in enumerate(zip(keys, specs, weights)):
            if spec is None:
                continue
            yt = _pick(y_true, key, keys, names, "targets") if y_true is not None else None
            yp = y_pred if key is None else y_pred[key]
            fn = _resolve_loss(spec, yt, yp)
            label = names[i] if names[i] is not None else \
                (getattr(fn, "name", None) if len(keys) == 1 else f"output_{i}")
            entries.append((key, fn, None if w is None else float(w), label))
        if not entries:
            raise ValueError("compile: every output's loss is None; nothing to train")
        trackers = [metrics_mod.Mean(name=f"{label}_loss") for *_, label in entries] \
            if len(entries) > 1 else [None] * len(entries)
        self.metrics = [t for t in trackers if t is not None]
        self._entries = [(k, fn, w, t) for (k, fn, w, _), t in zip(entries, trackers)]
        self._keys, self._names = keys, names
        self.built = True

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor | None:
        if not self.built:
            self.build(y_true, y_pred)
        if y_true is None:
            raise ValueError("The model was compiled with a loss but no targets (y) were given")
        multi = self._keys != [None]
        total: Tensor | None = None
        for key, fn, w, tracker in self._entries:
            yt = _pick(y_true, key, self._keys, self._names, "targets")
            yp = y_pred if key is None else y_pred[key]
            sw = sample_weight
            if multi and isinstance(sample_weight, list | tuple | dict):
                sw = _pick(sample_weight, key, self._keys, self._names, "sample_weight")
            value = fn(yt, yp, sw)
            if tracker is not None:
                tracker.update_state(_scalar(value), sample_weight=_batch_size(yp))
            if w is not None:
                value = value * w
            total = value if total is None else total + value
        return total


class _CompileMetrics(metrics_mod.Metric):
    """The ``metrics`` and ``weighted_metrics`` of ``compile``, per output, built on the first
    batch (``"accuracy"`` is resolved from the shapes then). Results are named
    ``<output>_<metric>`` for models with several outputs."""

    name = "compile_metrics"

    def __init__(self, metrics: Any, weighted_metrics: Any, output_names: list | None,
                 loss: Any = None) -> None:
        for arg, value in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
            if value and not isinstance(value, list | tuple | dict):
                raise ValueError(f"Expected `{arg}` argument to be a list, tuple, or dict. "
                                 f"Received instead: {arg}={value!r} of type "
                                 f"{type(value).__name__}")
            for m in _leaves_of_spec(value):
                if isinstance(m, str) and m not in ("accuracy", "acc"):
                    metrics_mod.get(m)  # fail at compile for unknown names
        self._user_metrics = metrics
        self._user_weighted = weighted_metrics
        self.output_names = output_names
        self._loss = loss
        self.built = False
        self._flat: list[tuple[Any, list, Any]] = []
        self._flat_weighted: list[tuple[Any, list, Any]] = []
        super().__init__(name="compile_metrics")

    @property
    def metrics(self) -> list:
        return [m for _, ms, _ in self._flat + self._flat_weighted for m in ms]

    def reset_state(self) -> None:
        for m in getattr(self, "metrics", []):
            m.reset_state()

    def _build_set(self, spec: Any, y_true: Any, y_pred: Any, keys: list,
                   names: list) -> list:
        if not spec:
            return []
        if len(keys) == 1:
            per = [list(spec.values()) if isinstance(spec, dict) else spec]
        elif isinstance(spec, list | tuple) and len(spec) != len(keys) and \
                not any(isinstance(m, list | tuple) for m in spec):
            per = [list(spec)] * len(keys)  # the same metrics for every output
        else:
            per = _per_output(spec, keys, names, "metrics")
        out = []
        for key, name, ms in zip(keys, names, per):
            if ms is None:
                continue
            if not isinstance(ms, list | tuple):
                ms = [ms]
            yt = _pick(y_true, key, keys, names, "targets") if y_true is not None else None
            yp = y_pred if key is None else y_pred[key]
            objs = [metrics_mod.get(m, self._loss, tuple(getattr(yp, "shape", ())),
                                    y_true_shape=None if yt is None else
                                    tuple(getattr(yt, "shape", np.shape(yt))))
                    for m in _flatten_specs(ms) if m is not None]
            prefix = name if len(keys) > 1 else None
            if len(keys) > 1 and prefix is None:
                prefix = f"output_{keys.index(key)}"
            out.append((key, objs, prefix))
        return out

    def build(self, y_true: Any, y_pred: Any) -> None:
        keys, names = _structure(y_pred, self.output_names)
        self._keys, self._names = keys, names
        self._flat = self._build_set(self._user_metrics, y_true, y_pred, keys, names)
        self._flat_weighted = self._build_set(self._user_weighted, y_true, y_pred, keys, names)
        self.built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        if not self.built:
            self.build(y_true, y_pred)
        if y_true is None:
            return
        for key, objs, _ in self._flat:
            yt = _pick(y_true, key, self._keys, self._names, "targets")
            yp = y_pred if key is None else y_pred[key]
            for m in objs:
                m.update_state(yt, yp)
        for key, objs, _ in self._flat_weighted:
            yt = _pick(y_true, key, self._keys, self._names, "targets")
            yp = y_pred if key is None else y_pred[key]
            sw = sample_weight
            if key is not None and isinstance(sample_weight, list | tuple | dict):
                sw = _pick(sample_weight, key, self._keys, self._names, "sample_weight")
            for m in objs:
                m.update_state(yt, yp, sw)

    def result(self) -> dict:
        if not self.built:
            return {}
        results: dict[str, Any] = {}
        for group, weighted in ((self._flat, False), (self._flat_weighted, True)):
            for _, objs, prefix in group:
                for m in objs:
                    name = f"{prefix}_{m.name}" if prefix else m.name
                    if name in results:
                        base = f"{prefix}_weighted_{m.name}" if (weighted and prefix) else \
                            (f"weighted_{m.name}" if weighted else name)
                        name, i = base, 1
                        while name in results:
                            name = f"{base}_{i}"
                            i += 1
                    results[name] = m.result()
        return results


def _leaves_of_spec(spec: Any) -> list:
    if spec is None:
        return []
    if isinstance(spec, dict):
        return [v for item in spec.values() for v in _leaves_of_spec(item)]
    if isinstance(spec, list | tuple):
        return [v for item in spec for v in _leaves_of_spec(item)]
    return [spec]


def _flatten_specs(ms: Any) -> list:
    return _leaves_of_spec(ms)


_TRAINING_ARG: dict[Any, bool] = {}


def _accepts(fn: Any, name: str) -> bool:
    key = (getattr(fn, "__func__", fn), name)
    if key not in _TRAINING_ARG:
        try:
            params = inspect.signature(fn).parameters
            _TRAINING_ARG[key] = name in params or any(
                p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        except (TypeError, ValueError):
            _TRAINING_ARG[key] = False
    return _TRAINING_ARG[key]


# ============================================================================== the mixin
if TYPE_CHECKING:
    from .layers.layer import Layer as _MixinBase
else:
    _MixinBase = object


class Trainer(_MixinBase):
    """Mixin of ``keras.Model``: ``compile``, ``fit``, ``evaluate``, ``predict``,
    ``train_on_batch``/``test_on_batch``/``predict_on_batch`` and the overridable
    ``train_step``/``test_step``/``predict_step``/``compute_loss``/``compute_metrics``."""

    if TYPE_CHECKING:
        optimizer: Any
        loss: Any
        compiled: bool
        stop_training: bool
        history: Any
        _compile_loss: Any
        _compile_metrics: Any
        _loss_tracker: Any
        _initial_epoch: Any

    def _init_trainer(self) -> None:
        d = self.__dict__
        d["optimizer"] = None
        d["loss"] = None
        d["loss_weights"] = None
        d["compiled"] = False
        d["stop_training"] = False
        d["stop_evaluating"] = False
        d["stop_predicting"] = False
        d["history"] = None
        d["_compile_loss"] = None
        d["_compile_metrics"] = None
        d["_loss_tracker"] = None
        d["_metric_specs"] = []
        d["_compile_config"] = None
        d["_initial_epoch"] = None

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, loss_weights: Any = None,
                metrics: Any = None, weighted_metrics: Any = None, run_eagerly: bool = False,
                steps_per_execution: int = 1, jit_compile: Any = "auto",
                auto_scale_loss: bool = True) -> None:
        """Set the optimizer, the loss(es) and the metrics (names or objects).

        Args:
            optimizer: a name (``"adam"``, ``"sgd"``, ``"rmsprop"``...) or a
                ``keras.optimizers`` instance.
            loss: a name (``"mse"``, ``"binary_crossentropy"``, ``"crossentropy"``...), a
                ``keras.losses`` object, an ``nn`` loss module or a function
                ``fn(y_true, y_pred)`` returning per-sample losses; for several outputs a list
                (one per output) or a dict keyed by output name.
            loss_weights: scalar coefficients of the outputs' losses (a float, list or dict).
            metrics: a list of metrics (names such as ``"accuracy"``, ``Metric`` objects or
                functions); for several outputs a list of lists or a dict by output name.
                These metrics ignore sample weights.
            weighted_metrics: metrics weighted by ``sample_weight``/``class_weight``.
            run_eagerly, steps_per_execution, jit_compile, auto_scale_loss: accepted for
                compatibility (lightgrad always runs eagerly, one step at a time).
        """
        output_names = self._output_names()
        self.__dict__["optimizer"] = optimizers_mod.get(optimizer)
        d = self.__dict__
        d["_compile_loss"] = _CompileLoss(loss, loss_weights, output_names) \
            if loss is not None else None
        resolved = loss
        if loss is not None and not isinstance(loss, list | tuple | dict) and not (
                isinstance(loss, str) and loss.lower() in ("crossentropy", "ce")):
            resolved = losses_mod.get(loss)
        d["loss"] = resolved
        d["loss_weights"] = loss_weights
        d["_compile_metrics"] = _CompileMetrics(metrics, weighted_metrics, output_names,
                                                resolved) \
            if metrics or weighted_metrics else None
        d["_metric_specs"] = list(metrics) if isinstance(metrics, list | tuple) else []
        d["_loss_tracker"] = metrics_mod.Mean(name="loss")
        d["_compile_config"] = {"optimizer": optimizer, "loss": loss,
                                "loss_weights": loss_weights, "metrics": metrics,
                                "weighted_metrics": weighted_metrics}
        d["stop_training"] = False
        d["compiled"] = True

    def _output_names(self) -> list | None:
        explicit = self.__dict__.get("output_names")
        if explicit is not None:
            return list(explicit)
        if getattr(self, "_functional", False):
            return [t.name for t in self.outputs]
        return None

    def _assert_compiled(self, method: str) -> None:
        if not self.compiled:
            raise RuntimeError(f"You must call `compile()` before using model '{self.name}' "
                               f"for {method}: e.g. model.compile(optimizer='adam', "
                               "loss='mse')")

    # ------------------------------------------------------------------ metrics
    @property
    def metrics(self) -> list:
        """The loss tracker, the compiled metrics (one container), the per-output loss
        trackers, then any ``Metric`` stored as an attribute of the model."""
        out: list = []
        if self.compiled:
            if self._loss_tracker is not None:
                out.append(self._loss_tracker)
            if self._compile_metrics is not None:
                out.append(self._compile_metrics)
            if self._compile_loss is not None:
                out.extend(self._compile_loss.metrics)
        seen = {id(m) for m in out}
        for k, v in self.__dict__.items():
            if isinstance(v, metrics_mod.Metric) and not k.startswith("_") and id(v) not in seen:
                out.append(v)
                seen.add(id(v))
        return out

    @property
    def metrics_names(self) -> list[str]:
        """The names of the logged values, in ``evaluate``'s order."""
        names: list[str] = []
        for m in self.metrics:
            if isinstance(m, _CompileMetrics):
                names.extend(m.result())
            else:
                names.append(m.name)
        return names

    def reset_metrics(self) -> None:
        for m in self.metrics:
            m.reset_state()

    def get_metrics_result(self) -> dict:
        """The current value of every metric, by name."""
        out: dict = {}
        for m in self.metrics:
            r = m.result()
            if isinstance(r, dict):
                out.update(r)
            else:
                out[m.name] = r
        return _pythonify(out)

    def _get_metrics_result_or_logs(self, logs: Any) -> dict:
        metric_logs = self.get_metrics_result()
        if isinstance(logs, dict) and set(logs) == set(metric_logs):
            return metric_logs
        return dict(logs or {})

    def compute_metrics(self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None) -> dict:
        """Update the compiled metrics with a batch and return every metric's value."""
        if self._compile_metrics is not None:
            self._compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    # ------------------------------------------------------------------ steps
    def compute_loss(self, x: Any = None, y: Any = None, y_pred: Any = None,
                     sample_weight: Any = None, training: bool = True) -> Tensor:
        """The compiled loss(es) plus every layer's regularization penalties."""
        losses: list = []
        if self._compile_loss is not None:
            value = self._compile_loss(y, y_pred, sample_weight)
            if value is not None:
                losses.append(value)
        for extra in self.losses:
            if not isinstance(extra, Tensor):
                extra = Tensor(np.asarray(extra, dtype=backend.get_default_dtype()))
            losses.append(extra.sum() if extra.ndim else extra)
        if not losses:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        total = losses[0]
        for v in losses[1:]:
            total = total + v
        return total

    def _compute_loss(self, x: Any = None, y: Any = None, y_pred: Any = None,
                      sample_weight: Any = None, training: bool = True) -> Tensor:
        if _accepts(self.compute_loss, "training"):
            return self.compute_loss(x, y, y_pred, sample_weight, training=training)
        return self.compute_loss(x, y, y_pred, sample_weight)

    def _call_model(self, x: Any, training: bool) -> Any:
        # Layer.__call__ hands ``training`` to ``call`` when it takes it, and to nested layers
        return self(x, training=training)

    def train_step(self, data: Any) -> dict:
        """One optimization step on a batch ``x``, ``(x, y)`` or ``(x, y, sample_weight)``;
        returns the logs. Override it to customize training (``fit`` calls it per batch)."""
        x, y, sw = _unpack(data)
        y_pred = self._call_model(x, training=True)
        loss = self._compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sw, training=True)
        self._loss_tracker.update_state(_scalar(loss), sample_weight=_batch_size(x))
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return self.compute_metrics(x, y, y_pred, sample_weight=sw)

    def test_step(self, data: Any) -> dict:
        """The loss and metrics of one batch (no update); ``evaluate`` calls it per batch."""
        x, y, sw = _unpack(data)
        y_pred = self._call_model(x, training=False)
        loss = self._compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sw, training=False)
        self._loss_tracker.update_state(_scalar(loss), sample_weight=_batch_size(x))
        return self.compute_metrics(x, y, y_pred, sample_weight=sw)

    def predict_step(self, data: Any) -> Any:
        """The model's outputs for one batch; ``predict`` calls it per batch."""
        x, _, _ = _unpack(data)
        return self._call_model(x, training=False)

    # ------------------------------------------------------------------ data plumbing
    def _device(self) -> Any:
        for p in self.parameters():
            return p.device
        return None

    def _tensorize(self, data: Any, device: Any = None) -> Any:
        from .layers.layer import to_tensor

        def convert(v: Any) -> Any:
            t = v if isinstance(v, Tensor) else to_tensor(v)
            if device is not None and t.device != device:
                t = t.to(device)
            return t

        return _map_tensors(convert, data)

    def _build_for_data(self, source: _Source | None = None, batch: Any = None,
                        for_training: bool = False) -> None:
        """Build an unbuilt model on the first batch (inference mode, no graph), and the
        optimizer over the trainable weights."""
        if not self.built:
            if batch is None:
                assert source is not None
                batch = source.peek()
            x, _, _ = _unpack(batch)
            was = self.training
            self.eval()
            try:
                with no_grad():
                    self._call_model(self._tensorize(x), training=False)
            finally:
                self.train(was)
        if for_training and self.optimizer is not None and self.optimizer.inner is None:
            params = [p for p in self.parameters() if p.requires_grad]
            if not params:
                raise ValueError(f"Model '{self.name}' has no trainable weights")
            self.optimizer.build(params)

    def _prepare(self, batch: Any, device: Any, class_weight_fn: Any = None) -> Any:
        if class_weight_fn is not None:
            x, y, sw = _unpack(batch)
            if sw is not None:
                raise ValueError("You cannot use `class_weight` and `sample_weight` at the "
                                 "same time")
            if isinstance(y, list | tuple | dict):
                raise ValueError("`class_weight` is only supported for models with a single "
                                 "output")
            if y is None:
                raise ValueError("`class_weight` needs targets (y)")
            batch = (x, y, class_weight_fn(y))
        return self._tensorize(batch, device)

    def _val_source(self, validation_data: Any, batch_size: int | None) -> _Source:
        if isinstance(validation_data, list | tuple):
            if len(validation_data) not in (2, 3):
                raise ValueError("validation_data must be a tuple (x_val, y_val) or (x_val, "
                                 "y_val, val_sample_weight), a DataLoader, a generator or a "
                                 f"PyDataset; got a {type(validation_data).__name__} of "
                                 f"{len(validation_data)} elements")
            vx, vy, vsw = _unpack(validation_data)
            return _make_source(vx, vy, vsw, batch_size, False, "validation_data")
        return _make_source(validation_data, None, None, batch_size, False, "validation_data")

    # ------------------------------------------------------------------ fit
    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: Any = "auto", callbacks: Any = None, validation_split: float = 0.0,
            validation_data: Any = None, shuffle: Any = True, class_weight: dict | None = None,
            sample_weight: Any = None, initial_epoch: int = 0,
            steps_per_epoch: int | None = None, validation_steps: int | None = None,
            validation_batch_size: int | None = None,
            validation_freq: Any = 1) -> cbks.History:
        """Train for ``epochs`` epochs (from ``initial_epoch``); returns the :class:`History`.

        Args:
            x, y: arrays or tensors (lists/dicts for several inputs/outputs); or ``x`` a
                ``DataLoader``, a generator or a ``PyDataset`` yielding ``(x, y)`` /
                ``(x, y, sample_weight)`` (then no ``y``).
            batch_size: samples per step for arrays (default 32).
            epochs: the index of the last epoch + 1.
            verbose: 0 silent, 1 a progress bar per epoch, 2 one line per epoch, ``"auto"``
                1 on a terminal or in a notebook and 2 in a log file.
            callbacks: ``keras.callbacks.Callback`` objects.
            validation_split: the fraction of the arrays (taken from the end, before
                shuffling) to hold out for validation.
            validation_data: ``(x_val, y_val[, sample_weight])`` or a loader/generator.
            shuffle: reshuffle the arrays before each epoch.
            class_weight: ``{class index: weight}`` to weight the training loss.
            sample_weight: per-sample (or per-timestep) weights of the training loss.
            initial_epoch: the epoch to start from (to resume a previous run).
            steps_per_epoch: batches per epoch (needed for endless generators).
            validation_steps, validation_batch_size: batches / batch size of validation.
            validation_freq: validate every this many epochs, or at the (1-based) epochs
                listed.
        """
        self._assert_compiled("fit")
        for name, v in (("epochs", epochs), ("initial_epoch", initial_epoch)):
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 0:
                raise ValueError(f"fit: {name} must be a non-negative integer, got {v!r}")
        if steps_per_epoch is not None and (isinstance(steps_per_epoch, bool) or not isinstance(
                steps_per_epoch, int | np.integer) or steps_per_epoch <= 0):
            raise ValueError(f"fit: steps_per_epoch must be a positive integer, got "
                             f"{steps_per_epoch!r}")
        if not isinstance(validation_freq, int | list | tuple | set | range) or \
                isinstance(validation_freq, bool) or (isinstance(validation_freq, int)
                                                      and validation_freq < 1):
            raise ValueError(f"fit: validation_freq must be a positive integer or a list of "
                             f"epochs, got {validation_freq!r}")
        verbose = resolve_verbose(verbose)
        if validation_split and validation_data is None:
            if not 0 < validation_split < 1:
                raise ValueError(f"validation_split must be in (0, 1), got {validation_split}")
            if not _is_array_data(x):
                raise ValueError("`validation_split` is only supported for NumPy arrays and "
                                 "tensors; pass validation_data for DataLoaders and "
                                 "generators")
            x, y, sample_weight = (_to_numpy_tree(v) for v in (x, y, sample_weight))
            n = _len(x)
            split = int(math.floor(n * (1.0 - validation_split)))
            if split == 0 or split == n:
                raise ValueError(f"validation_split={validation_split} leaves no training or "
                                 f"no validation samples out of {n}")
            train, val = slice(0, split), slice(split, None)
            validation_data = (_take(x, val), _take(y, val), _take(sample_weight, val))
            x, y, sample_weight = _take(x, train), _take(y, train), _take(sample_weight, train)
        source = _make_source(x, y, sample_weight, batch_size, shuffle, "fit")
        if class_weight is not None and sample_weight is not None:
            raise ValueError("You cannot use `class_weight` and `sample_weight` at the same "
                             "time")
        cw_fn = _class_weight_fn(class_weight) if class_weight is not None else None
        iterator = _EpochIterator(source, steps_per_epoch)
        self._build_for_data(source, for_training=True)
        device = self._device()
        val_source = None
        if validation_data is not None:
            val_source = self._val_source(validation_data, validation_batch_size or batch_size)
        if not isinstance(callbacks, cbks.CallbackList):
            callbacks = cbks.CallbackList(callbacks, add_history=True, add_progbar=verbose != 0,
                                          model=self, verbose=verbose, epochs=epochs,
                                          steps=iterator.num_batches)
        self.stop_training = False
        self.__dict__["_initial_epoch"] = None
        callbacks.on_train_begin()
        start = self._initial_epoch if self._initial_epoch is not None else initial_epoch
        training_logs: dict | None = None
        for epoch in range(start, epochs):
            self.reset_metrics()
            callbacks.on_epoch_begin(epoch)
            self.train()
            logs: Any = None
            ran = 0
            for step, batch in iterator:
                callbacks.on_train_batch_begin(step)
                logs = _pythonify(self.train_step(self._prepare(batch, device, cw_fn)))
                callbacks.on_train_batch_end(step, logs)
                ran += 1
                if self.stop_training:
                    break
            if iterator.exhausted:
                warnings.warn("Your input ran out of data; interrupting training. Make sure "
                              "that your dataset or generator can generate at least "
                              "`steps_per_epoch * epochs` batches.", stacklevel=2)
                self.stop_training = True
            if ran == 0:
                break
            epoch_logs = self._get_metrics_result_or_logs(logs)
            self.eval()
            if val_source is not None and _should_eval(epoch, validation_freq):
                val_logs = self._test_loop(val_source, validation_steps, callbacks, device)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callbacks.on_epoch_end(epoch, epoch_logs)
            training_logs = epoch_logs
            if self.stop_training:
                break
        callbacks.on_train_end(training_logs)
        self.__dict__["_initial_epoch"] = None
        self.eval()
        return self.history

    # ------------------------------------------------------------------ evaluate / predict
    def _test_loop(self, source: _Source, steps: int | None, callbacks: Any,
                   device: Any) -> dict:
        was = self.training
        self.eval()
        self.stop_evaluating = False
        callbacks.on_test_begin()
        self.reset_metrics()
        logs: Any = None
        with no_grad():
            for step, batch in _EpochIterator(source, steps):
                callbacks.on_test_batch_begin(step)
                logs = _pythonify(self.test_step(self._tensorize(batch, device)))
                callbacks.on_test_batch_end(step, logs)
                if self.stop_evaluating:
                    break
        logs = self._get_metrics_result_or_logs(logs)
        callbacks.on_test_end(logs)
        self.train(was)
        return logs

    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None,
                 verbose: Any = "auto", sample_weight: Any = None, steps: int | None = None,
                 callbacks: Any = None, return_dict: bool = False, **kwargs: Any) -> Any:
        """The loss and metrics on the data, computed batch by batch without a graph.

        Returns the loss alone (no metrics), a list ``[loss, metric...]`` in
        :attr:`metrics_names` order, or a dict with ``return_dict=True``.
        """
        kwargs.pop("_internal", None)
        if kwargs:
            raise ValueError(f"Arguments not recognized: {kwargs}")
        self._assert_compiled("evaluate")
        verbose = resolve_verbose(verbose)
        source = _make_source(x, y, sample_weight, batch_size, False, "evaluate")
        self._build_for_data(source)
        num = steps if steps is not None else source.num_batches
        if not isinstance(callbacks, cbks.CallbackList):
            callbacks = cbks.CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                          verbose=verbose, epochs=1, steps=num)
        logs = self._test_loop(source, steps, callbacks, self._device())
        if return_dict:
            return logs
        return self._flatten_logs(logs)

    def _flatten_logs(self, logs: dict) -> Any:
        order = [k for k in self.metrics_names if k in logs]
        order += sorted(k for k in logs if k not in order)
        values = [logs[k] for k in order]
        return values[0] if len(values) == 1 else values

    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = "auto",
                steps: int | None = None, callbacks: Any = None) -> Any:
        """The model's outputs as NumPy arrays (lists/dicts for several outputs), computed
        batch by batch in inference mode without a graph."""
        verbose = resolve_verbose(verbose)
        source = _make_source(x, None, None, batch_size, False, "predict")
        iterator = _EpochIterator(source, steps)
        if not isinstance(callbacks, cbks.CallbackList):
            callbacks = cbks.CallbackList(callbacks, add_progbar=verbose != 0, model=self,
                                          verbose=verbose, epochs=1,
                                          steps=iterator.num_batches)
        device = self._device()
        was = self.training
        self.eval()
        self.stop_predicting = False
        callbacks.on_predict_begin()
        outputs: list = []
        with no_grad():
            for step, batch in iterator:
                callbacks.on_predict_batch_begin(step)
                out = _to_numpy_tree(self.predict_step(self._tensorize(batch, device)))
                outputs.append(out)
                callbacks.on_predict_batch_end(step, {"outputs": out})
                if self.stop_predicting:
                    break
        callbacks.on_predict_end()
        self.train(was)
        if not outputs:
            return np.zeros((0,), np.float32)
        return _concat(outputs)

    # ------------------------------------------------------------------ single batches
    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                       class_weight: dict | None = None, return_dict: bool = False) -> Any:
        """One training step on one batch; returns its loss (and metrics)."""
        self._assert_compiled("train_on_batch")
        if class_weight is not None:
            if sample_weight is not None:
                raise ValueError("Arguments `sample_weight` and `class_weight` cannot be "
                                 "specified at the same time.")
            sample_weight = _class_weight_fn(class_weight)(y)
        batch = _pack(x, y, sample_weight)
        self._build_for_data(batch=batch, for_training=True)
        self.reset_metrics()
        self.train()
        logs = _pythonify(self.train_step(self._tensorize(batch, self._device())))
        return logs if return_dict else self._flatten_logs(logs)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                      return_dict: bool = False) -> Any:
        """The loss (and metrics) of one batch, without updating the model."""
        self._assert_compiled("test_on_batch")
        batch = _pack(x, y, sample_weight)
        self._build_for_data(batch=batch)
        self.reset_metrics()
        was = self.training
        self.eval()
        with no_grad():
            logs = _pythonify(self.test_step(self._tensorize(batch, self._device())))
        self.train(was)
        return logs if return_dict else self._flatten_logs(logs)

    def predict_on_batch(self, x: Any) -> Any:
        """The model's outputs for one batch, as NumPy arrays."""
        was = self.training
        self.eval()
        with no_grad():
            out = self.predict_step(self._tensorize(_pack(x), self._device()))
        self.train(was)
        return _to_numpy_tree(out)


def _should_eval(epoch: int, validation_freq: Any) -> bool:
    epoch += 1  # one-based, as the user counts
    if isinstance(validation_freq, int):
        return epoch % validation_freq == 0
    return epoch in validation_freq
