"""The Keras training loop: ``compile``, ``fit``, ``evaluate``, ``predict`` and the per-batch
methods. One step is exactly the hand-written lightgrad loop (``zero_grad``, forward, loss,
``backward``, ``step``), wrapped in callbacks, metrics and the progress bar."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..autograd.grad_mode import no_grad
from ..backend import get_rng
from ..tensor import Tensor
from . import callbacks as cbks
from . import losses as losses_mod
from . import metrics as metrics_mod
from . import optimizers as optimizers_mod


def _to_numpy_tree(x: Any) -> Any:
    if x is None:
        return None
    if isinstance(x, dict):
        return {k: _to_numpy_tree(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return type(x)(_to_numpy_tree(v) for v in x)
    if isinstance(x, Tensor):
        return x.detach().numpy(force=True)
    return np.asarray(x)


def _len(x: Any) -> int:
    if isinstance(x, dict):
        return _len(next(iter(x.values())))
    if isinstance(x, list | tuple):
        return _len(x[0])
    return int(x.shape[0])


def _take(x: Any, idx: Any) -> Any:
    if x is None:
        return None
    if isinstance(x, dict):
        return {k: _take(v, idx) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return type(x)(_take(v, idx) for v in x)
    return x[idx]


def _tensorize(x: Any) -> Any:
    from .layers.layer import to_tensor

    if x is None or isinstance(x, Tensor):
        return x
    if isinstance(x, dict):
        return {k: _tensorize(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return type(x)(_tensorize(v) for v in x)
    return to_tensor(x)


class _ArrayBatches:
    """Batches of in-memory arrays, shuffled per epoch with lightgrad's generator."""

    def __init__(self, x: Any, y: Any, sw: Any, batch_size: int, shuffle: bool) -> None:
        self.x, self.y, self.sw = x, y, sw
        self.n = _len(x)
        self.batch_size = batch_size
        self.shuffle = shuffle

    def __len__(self) -> int:
        return max(1, math.ceil(self.n / self.batch_size))

    def __iter__(self) -> Iterable:
        idx = get_rng(None).permutation(self.n) if self.shuffle else np.arange(self.n)
        for start in range(0, self.n, self.batch_size):
            b: Any = idx[start:start + self.batch_size] if self.shuffle else \
                slice(start, start + self.batch_size)
            yield _take(self.x, b), _take(self.y, b), _take(self.sw, b)


def _unpack(batch: Any) -> tuple[Any, Any, Any]:
    if isinstance(batch, list | tuple):
        if len(batch) == 1:
            return batch[0], None, None
        if len(batch) == 2:
            return batch[0], batch[1], None
        if len(batch) == 3:
            return batch[0], batch[1], batch[2]
    return batch, None, None


if TYPE_CHECKING:
    from .layers.layer import Layer as _MixinBase
else:
    _MixinBase = object


class Trainer(_MixinBase):
    """Mixin of ``keras.Model``: compile, fit, evaluate, predict."""

    if TYPE_CHECKING:
        optimizer: Any
        loss: Any
        compiled: bool
        stop_training: bool
        _metrics: list
        _metric_specs: list
        _loss_tracker: Any

    def _init_trainer(self) -> None:
        d = self.__dict__
        d["optimizer"] = None
        d["loss"] = None
        d["compiled"] = False
        d["stop_training"] = False
        d["history"] = None
        d["_metrics"] = []
        d["_metric_specs"] = []
        d["_loss_tracker"] = None

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, metrics: Any = None,
                loss_weights: Any = None, weighted_metrics: Any = None,
                run_eagerly: bool = False, steps_per_execution: int = 1,
                jit_compile: Any = None, auto_scale_loss: bool = True) -> None:
        """Set the optimizer, loss and metrics (names or objects)."""
        self.__dict__["optimizer"] = optimizers_mod.get(optimizer)
        self.__dict__["loss"] = losses_mod.get(loss)
        self.__dict__["loss_weights"] = loss_weights
        self.__dict__["_metric_specs"] = list(metrics or [])
        self.__dict__["_metrics"] = []
        self.__dict__["compiled"] = True

    def _ensure_ready(self, x_sample: Any = None) -> None:
        if not self.compiled:
            raise RuntimeError(f"You must call `compile()` before using model '{self.name}' "
                               "for training or evaluation")
        if not self.built and x_sample is not None:
            with no_grad():
                self(_tensorize(x_sample))
        if self.optimizer.inner is None:
            params = [p for p in self.parameters() if p.requires_grad]
            if not params:
                raise ValueError(f"Model '{self.name}' has no trainable weights")
            self.optimizer.build(params)

    def _build_metrics(self, y_pred: Any) -> None:
        if self._metrics or not self._metric_specs:
            return
        shape = tuple(y_pred.shape) if isinstance(y_pred, Tensor) else None
        self.__dict__["_metrics"] = [metrics_mod.get(m, self.loss, shape)
                                     for m in self._metric_specs]

    @property
    def metrics_names(self) -> list[str]:
        return ["loss"] + [m.name for m in self._metrics]

    # ------------------------------------------------------------------ steps
    def compute_loss(self, x: Any = None, y: Any = None, y_pred: Any = None,
                     sample_weight: Any = None, training: bool = True) -> Tensor:
        """The compiled loss plus every layer's regularization penalties."""
        if self.loss is None:
            raise ValueError("compile() was called without a loss; pass loss= to compile")
        if isinstance(self.loss, losses_mod.Loss):
            loss = self.loss(y, y_pred, sample_weight)
        else:
            loss = self.loss(y_pred, y) if hasattr(self.loss, "forward") else \
                self.loss(y, y_pred)
        extra = self.losses
        if extra:
            loss = loss + sum(extra[1:], extra[0])
        return loss

    def train_step(self, data: Any) -> dict:
        """One optimization step on a batch ``(x, y[, sample_weight])``; returns the logs."""
        x, y, sw = _unpack(data)
        y_pred = self(x, training=True)
        loss = self.compute_loss(x, y, y_pred, sw)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return self._update_metrics(loss, y, y_pred, sw)

    def test_step(self, data: Any) -> dict:
        x, y, sw = _unpack(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(x, y, y_pred, sw, training=False)
        return self._update_metrics(loss, y, y_pred, sw)

    def predict_step(self, data: Any) -> Any:
        x, _, _ = _unpack(data)
        return self(x, training=False)

    def _update_metrics(self, loss: Tensor, y: Any, y_pred: Any, sw: Any) -> dict:
        n = _len(y_pred) if not isinstance(y_pred, dict) else 1
        self._loss_tracker.update_state(float(loss.item()), sample_weight=n)
        self._build_metrics(y_pred)
        for m in self._metrics:
            m.update_state(y, y_pred, sw)
        return self.get_metrics_result()

    def get_metrics_result(self) -> dict:
        logs = {"loss": self._loss_tracker.result()}
        for m in self._metrics:
            logs[m.name] = m.result()
        return logs

    def reset_metrics(self) -> None:
        self.__dict__["_loss_tracker"] = metrics_mod.Mean(name="loss")
        for m in self._metrics:
            m.reset_state()

    # ------------------------------------------------------------------ data
    def _batches(self, x: Any, y: Any, sample_weight: Any, batch_size: int | None,
                 shuffle: bool) -> Any:
        if hasattr(x, "__iter__") and not isinstance(x, np.ndarray | Tensor | list | tuple |
                                                       dict):
            if y is not None:
                raise ValueError("fit: `y` must not be given when `x` is a DataLoader or a "
                                 "generator (it yields the targets)")
            return x
        if x is None:
            raise ValueError("fit: no input data (x) given")
        x = _to_numpy_tree(x)
        y = _to_numpy_tree(y)
        sample_weight = _to_numpy_tree(sample_weight)
        n = _len(x)
        if y is not None and _len(y) != n:
            raise ValueError(f"Data cardinality is ambiguous: x has {n} samples but y has "
                             f"{_len(y)} samples")
        return _ArrayBatches(x, y, sample_weight, batch_size or 32, shuffle)

    # ------------------------------------------------------------------ fit
    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: Any = "auto", callbacks: list | None = None,
            validation_split: float = 0.0, validation_data: Any = None, shuffle: bool = True,
            class_weight: dict | None = None, sample_weight: Any = None,
            initial_epoch: int = 0, steps_per_epoch: int | None = None,
            validation_steps: int | None = None, validation_batch_size: int | None = None,
            validation_freq: int = 1) -> cbks.History:
        """Train for ``epochs`` epochs; returns the :class:`History`."""
        if validation_split and validation_data is None:
            if not 0 < validation_split < 1:
                raise ValueError(f"validation_split must be in (0, 1), got {validation_split}")
            x, y, sample_weight = (_to_numpy_tree(v) for v in (x, y, sample_weight))
            n = _len(x)
            split = int(n * (1 - validation_split))
            validation_data = (_take(x, slice(split, None)), _take(y, slice(split, None)))
            x, y = _take(x, slice(0, split)), _take(y, slice(0, split))
            sample_weight = _take(sample_weight, slice(0, split))
        if class_weight is not None and y is not None:
            yn = _to_numpy_tree(y)
            labels = yn.argmax(-1) if yn.ndim > 1 and yn.shape[-1] > 1 else yn.reshape(-1)
            cw = np.array([class_weight.get(int(c), 1.0) for c in labels], np.float32)
            sample_weight = cw if sample_weight is None else \
                _to_numpy_tree(sample_weight) * cw
        data = self._batches(x, y, sample_weight, batch_size, shuffle)
        first = next(iter(data))
        self._ensure_ready(_unpack(first)[0])
        history = cbks.History()
        cb_list = list(callbacks or [])
        cb = cbks.CallbackList(cb_list + [history], model=self, epochs=epochs,
                               steps=steps_per_epoch or _safe_len(data), verbose=verbose)
        self.__dict__["stop_training"] = False
        self.__dict__["history"] = history
        cb.on_train_begin()
        logs: dict = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            self.train()
            cb.on_epoch_begin(epoch)
            for step, batch in enumerate(data):
                if steps_per_epoch is not None and step >= steps_per_epoch:
                    break
                cb.on_train_batch_begin(step)
                bx, by, bsw = _unpack(batch)
                logs = self.train_step((_tensorize(bx), _tensorize(by), bsw))
                cb.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            epoch_logs = dict(logs)
            if validation_data is not None and (epoch + 1) % validation_freq == 0:
                vx, vy, vsw = _unpack(validation_data)
                val = self.evaluate(vx, vy, sample_weight=vsw,
                                    batch_size=validation_batch_size or batch_size,
                                    verbose=0, steps=validation_steps, return_dict=True,
                                    _internal=True)
                epoch_logs.update({f"val_{k}": v for k, v in val.items()})
            cb.on_epoch_end(epoch, epoch_logs)
            if self.stop_training:
                break
        cb.on_train_end(logs)
        self.eval()
        return history

    # ------------------------------------------------------------------ evaluate / predict
    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None,
                 verbose: Any = "auto", sample_weight: Any = None, steps: int | None = None,
                 callbacks: list | None = None, return_dict: bool = False,
                 _internal: bool = False, **kwargs: Any) -> Any:
        """The loss and metrics on the data (no graph, inference mode)."""
        data = self._batches(x, y, sample_weight, batch_size, shuffle=False)
        self._ensure_ready(_unpack(next(iter(data)))[0])
        was = self.training
        self.eval()
        saved = (self._loss_tracker, [(m.total, m.count) for m in self._metrics])
        self.reset_metrics()
        cb = cbks.CallbackList(list(callbacks or []), model=self)
        cb.on_test_begin()
        logs: dict = {}
        with no_grad():
            for step, batch in enumerate(data):
                if steps is not None and step >= steps:
                    break
                cb.on_test_batch_begin(step)
                bx, by, bsw = _unpack(batch)
                logs = self.test_step((_tensorize(bx), _tensorize(by), bsw))
                cb.on_test_batch_end(step, logs)
        cb.on_test_end(logs)
        if _internal:  # keep the training epoch's running metrics intact
            self.__dict__["_loss_tracker"] = saved[0]
            for m, (t, c) in zip(self._metrics, saved[1]):
                m.total, m.count = t, c
        self.train(was)
        if return_dict:
            return dict(logs)
        vals = [logs[k] for k in self.metrics_names if k in logs]
        return vals[0] if len(vals) == 1 else vals

    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = "auto",
                steps: int | None = None, callbacks: list | None = None) -> Any:
        """Model outputs as NumPy arrays, computed batch by batch without a graph."""
        data = self._batches(x, None, None, batch_size, shuffle=False)
        was = self.training
        self.eval()
        outs = []
        with no_grad():
            for step, batch in enumerate(data):
                if steps is not None and step >= steps:
                    break
                out = self.predict_step((_tensorize(_unpack(batch)[0]),))
                outs.append(_to_numpy_tree(out))
        self.train(was)
        if not outs:
            return np.zeros((0,))
        if isinstance(outs[0], list | tuple):
            return [np.concatenate([o[i] for o in outs]) for i in range(len(outs[0]))]
        return np.concatenate(outs)

    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                       class_weight: Any = None, return_dict: bool = False) -> Any:
        self._ensure_ready(x)
        self.reset_metrics()
        self.train()
        logs = self.train_step((_tensorize(x), _tensorize(y), sample_weight))
        return logs if return_dict else _flat_logs(logs, self.metrics_names)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                      return_dict: bool = False) -> Any:
        self._ensure_ready(x)
        self.reset_metrics()
        was = self.training
        self.eval()
        with no_grad():
            logs = self.test_step((_tensorize(x), _tensorize(y), sample_weight))
        self.train(was)
        return logs if return_dict else _flat_logs(logs, self.metrics_names)

    def predict_on_batch(self, x: Any) -> Any:
        was = self.training
        self.eval()
        with no_grad():
            out = self(_tensorize(x), training=False)
        self.train(was)
        return _to_numpy_tree(out)


def _flat_logs(logs: dict, names: list[str]) -> Any:
    vals = [logs[k] for k in names if k in logs]
    return vals[0] if len(vals) == 1 else vals


def _safe_len(data: Any) -> int | None:
    try:
        return len(data)
    except TypeError:
        return None
