"""Keras callbacks: the hooks of ``fit``/``evaluate``/``predict`` with Keras 3's order and
semantics.

``fit`` calls, in this order::

    on_train_begin
      on_epoch_begin(epoch)
        on_train_batch_begin(step) / on_train_batch_end(step, logs)   per batch
        on_test_begin, on_test_batch_begin/end..., on_test_end         validation, if any
      on_epoch_end(epoch, logs)        logs: loss, metrics, val_loss, val_<metric>
    on_train_end(logs)

on every callback in the order given, then on the :class:`History` and the
:class:`ProgbarLogger` that ``fit`` adds. ``evaluate`` calls ``on_test_*`` and ``predict``
``on_predict_*`` the same way.
"""

from __future__ import annotations

import csv
import json
import math
import os
import random
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger", "EarlyStopping",
           "ModelCheckpoint", "ReduceLROnPlateau", "LearningRateScheduler", "CSVLogger",
           "TerminateOnNaN", "LambdaCallback", "BackupAndRestore"]


def _print(msg: str) -> None:
    import sys

    sys.stdout.write(msg + "\n")
    sys.stdout.flush()


class Callback:
    """Base class: override the ``on_*`` hooks; ``self.model`` is set by ``fit``/``evaluate``/
    ``predict`` and ``self.params`` holds ``verbose``, ``epochs`` and ``steps``."""

    def __init__(self) -> None:
        self.params: dict = {}
        self._model: Any = None

    def set_params(self, params: dict) -> None:
        self.params = params

    def set_model(self, model: Any) -> None:
        self._model = model

    @property
    def model(self) -> Any:
        return self._model

    @model.setter
    def model(self, value: Any) -> None:
        self._model = value

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """A backwards-compatible alias of :meth:`on_train_batch_begin`."""

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """A backwards-compatible alias of :meth:`on_train_batch_end`."""

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None: ...
    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None: ...

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch: int, logs: dict | None = None) -> None: ...
    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None: ...
    def on_predict_batch_begin(self, batch: int, logs: dict | None = None) -> None: ...
    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None: ...
    def on_train_begin(self, logs: dict | None = None) -> None: ...
    def on_train_end(self, logs: dict | None = None) -> None: ...
    def on_test_begin(self, logs: dict | None = None) -> None: ...
    def on_test_end(self, logs: dict | None = None) -> None: ...
    def on_predict_begin(self, logs: dict | None = None) -> None: ...
    def on_predict_end(self, logs: dict | None = None) -> None: ...


class CallbackList(Callback):
    """The callbacks of one ``fit``/``evaluate``/``predict`` call, each hook dispatched to
    every callback in order. ``add_history``/``add_progbar`` append a :class:`History` and a
    :class:`ProgbarLogger` when the list has none (in that order, after the user's)."""

    def __init__(self, callbacks: Any = None, add_history: bool = False,
                 add_progbar: bool = False, model: Any = None, **params: Any) -> None:
        super().__init__()
        if isinstance(callbacks, Callback):
            callbacks = [callbacks]
        self.callbacks: list[Callback] = list(callbacks or [])
        for c in self.callbacks:
            if not isinstance(c, Callback):
                raise TypeError(f"callbacks must be keras.callbacks.Callback instances, got "
                                f"{type(c).__name__}: {c!r}")
        self._history = next((c for c in self.callbacks if isinstance(c, History)), None)
        self._progbar = next((c for c in self.callbacks if isinstance(c, ProgbarLogger)), None)
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        self.set_model(model)
        self.set_params(params)

    def set_params(self, params: dict) -> None:
        self.params = params
        if params:
            for c in self.callbacks:
                c.set_params(params)

    def set_model(self, model: Any) -> None:
        if model is None:
            return
        self._model = model
        if self._history is not None:
            model.history = self._history
        for c in self.callbacks:
            c.set_model(model)

    def append(self, callback: Callback) -> None:
        self.callbacks.append(callback)

    def _call(self, hook: str, *args: Any) -> None:
        for c in self.callbacks:
            getattr(c, hook)(*args)

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._call("on_batch_begin", batch, logs or {})

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._call("on_batch_end", batch, logs or {})

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._call("on_epoch_begin", epoch, logs or {})

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._call("on_epoch_end", epoch, logs if logs is not None else {})

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._call("on_train_batch_begin", batch, logs or {})

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._call("on_train_batch_end", batch, logs or {})

    def on_test_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._call("on_test_batch_begin", batch, logs or {})

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._call("on_test_batch_end", batch, logs or {})

    def on_predict_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self._call("on_predict_batch_begin", batch, logs or {})

    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._call("on_predict_batch_end", batch, logs or {})

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._call("on_train_begin", logs or {})

    def on_train_end(self, logs: dict | None = None) -> None:
        self._call("on_train_end", logs or {})

    def on_test_begin(self, logs: dict | None = None) -> None:
        self._call("on_test_begin", logs or {})

    def on_test_end(self, logs: dict | None = None) -> None:
        self._call("on_test_end", logs or {})

    def on_predict_begin(self, logs: dict | None = None) -> None:
        self._call("on_predict_begin", logs or {})

    def on_predict_end(self, logs: dict | None = None) -> None:
        self._call("on_predict_end", logs or {})


class History(Callback):
    """Records the epoch logs: ``history.history["loss"]``, ``["val_accuracy"]``... and the
    epoch indices in ``history.epoch``. ``fit`` returns it (and sets ``model.history``)."""

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)
        if self.model is not None:
            self.model.history = self


class ProgbarLogger(Callback):
    """Prints the progress of ``fit``/``evaluate``/``predict`` (added by them when
    ``verbose != 0``): with ``verbose=1`` an ``Epoch k/N`` line and a progress bar per epoch
    (steps, ETA, running metrics; drawn by tqdm when installed, else a plain text bar), with
    ``verbose=2`` one line per epoch. Validation inside ``fit`` is silent."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = 0
        self.progbar: Any = None
        self.target: int | None = None
        self.verbose: int = 1
        self.epochs = 1
        self._called_in_fit = False

    def set_params(self, params: dict) -> None:
        from .utils import resolve_verbose

        self.verbose = resolve_verbose(params.get("verbose", 1))
        self.epochs = params.get("epochs", 1)
        self.target = params.get("steps")

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._called_in_fit = True

    def on_train_end(self, logs: dict | None = None) -> None:
        self._called_in_fit = False

    def on_test_begin(self, logs: dict | None = None) -> None:
        if not self._called_in_fit:
            self._reset_progbar()
            self._maybe_init_progbar()

    def on_predict_begin(self, logs: dict | None = None) -> None:
        self._reset_progbar()
        self._maybe_init_progbar()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._reset_progbar()
        if self.verbose and self.epochs > 1:
            _print(f"Epoch {epoch + 1}/{self.epochs}")
        self._maybe_init_progbar()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._update_progbar(batch, logs)

    def on_test_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    def on_predict_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self._update_progbar(batch, None)  # the outputs are not metrics

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._finalize_progbar(logs)

    def on_test_end(self, logs: dict | None = None) -> None:
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_end(self, logs: dict | None = None) -> None:
        self._finalize_progbar(logs)

    def _reset_progbar(self) -> None:
        self.seen = 0
        self.progbar = None

    def _maybe_init_progbar(self) -> None:
        from .utils import Progbar

        if self.progbar is None:
            self.progbar = Progbar(target=self.target, verbose=self.verbose, unit_name="step")
            self.progbar._all_stateful = True  # logs already hold running means

    def _update_progbar(self, batch: int, logs: dict | None) -> None:
        self._maybe_init_progbar()
        self.seen = batch + 1
        if self.verbose == 1:
            self.progbar.update(self.seen, list((logs or {}).items()), finalize=False)

    def _finalize_progbar(self, logs: dict | None) -> None:
        self._maybe_init_progbar()
        if self.target is None:
            self.progbar.target = self.seen
        self.progbar.update(self.progbar.target if self.progbar.target is not None
                            else self.seen, list((logs or {}).items()), finalize=True)


# ============================================================================== monitoring
_UP_WORDS = ("acc", "auc", "precision", "recall", "f1", "fbeta", "true_positives",
             "true_negatives")


class _MonitorMixin:
    """Resolves ``mode="auto"`` as Keras 3: ``loss`` is minimized; a compiled metric says its
    own direction; otherwise a name that reads as a score (accuracy, AUC, precision...) is
    maximized and an error-like name minimized."""

    monitor: str
    mode: str
    model: Any

    def _direction(self) -> str:
        if self.mode in ("min", "max"):
            return self.mode
        name = self.monitor[4:] if self.monitor.startswith("val_") else self.monitor
        if name == "loss" or name.endswith("_loss"):
            return "min"
        for m in _model_metrics(self.model):
            if getattr(m, "name", None) == name and getattr(m, "_direction", None):
                return "max" if m._direction == "up" else "min"
        if any(w in name for w in _UP_WORDS):
            return "max"
        if any(w in name for w in ("loss", "error", "mse", "mae", "mape", "msle", "rmse",
                                   "crossentropy", "hinge", "false_")):
            return "min"
        raise ValueError(f"{type(self).__name__} callback received monitor={self.monitor}, "
                         "but Keras isn't able to automatically determine whether that "
                         "metric should be maximized or minimized. Pass `mode='max'` in "
                         "order to monitor based on the highest metric value, or pass "
                         "`mode='min'` in order to use the lowest value.")


def _model_metrics(model: Any) -> list:
    out: list = []
    for m in getattr(model, "metrics", None) or []:
        inner = getattr(m, "metrics", None)
        if isinstance(inner, list):
            out.extend(inner)
        else:
            out.append(m)
    return out


def _check_mode(cls: str, mode: str) -> str:
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{cls} mode '{mode}' is unknown, fallback to auto mode.", stacklevel=3)
        return "auto"
    return mode


def _snapshot(model: Any) -> dict:
    """A deep copy of the model's state (weights and buffers)."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


class EarlyStopping(_MonitorMixin, Callback):
    """Stop training when a monitored quantity has stopped improving.

    Args:
        monitor: the log to watch (``"val_loss"``).
        min_delta: an improvement smaller than this does not count.
        patience: epochs without improvement before stopping.
        verbose: 1 prints a message when stopping / restoring.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (from the name / the metric).
        baseline: training stops if the model does not beat it within ``patience`` epochs.
        restore_best_weights: at the end of training (stopped early *or* at the last epoch),
            load the weights of the best epoch.
        start_from_epoch: epochs of warm-up before monitoring starts.

    Example:
        >>> import numpy as np
        >>> from lightgrad import keras
        >>> callback = keras.callbacks.EarlyStopping(monitor="loss", patience=3)
        >>> model = keras.Sequential([keras.layers.Dense(10)])
        >>> model.compile(keras.optimizers.SGD(learning_rate=0.0), loss="mse")
        >>> history = model.fit(np.ones((5, 20)), np.zeros((5, 10)), epochs=10,
        ...                     batch_size=1, callbacks=[callback], verbose=0)
        >>> len(history.history["loss"])  # no improvement after epoch 1: stopped after 4
        4
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0, patience: int = 0,
                 verbose: int = 0, mode: str = "auto", baseline: float | None = None,
                 restore_best_weights: bool = False, start_from_epoch: int = 0) -> None:
        super().__init__()
        self.monitor = monitor
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.min_delta = abs(min_delta)
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.mode = _check_mode("EarlyStopping", mode)
        self.monitor_op: Callable | None = None
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights: Any = None
        self.best_epoch = 0
        self.best = math.inf

    def _set_monitor_op(self) -> None:
        if self._direction() == "min":
            self.monitor_op, self.best, self._sign = np.less, math.inf, -1.0
        else:
            self.monitor_op, self.best, self._sign = np.greater, -math.inf, 1.0

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best_weights = None
        self.best_epoch = 0
        self.monitor_op = None

    def _is_improvement(self, value: float, reference: float) -> bool:
        assert self.monitor_op is not None
        return bool(self.monitor_op(value - self._sign * self.min_delta, reference))

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = _snapshot(self.model)  # the current weights are the best yet
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = _snapshot(self.model)
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.stopped_epoch > 0 and self.verbose > 0:
            _print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                _print(f"Restoring model weights from the end of the best epoch: "
                       f"{self.best_epoch + 1}.")
            self.model.load_state_dict(self.best_weights)

    def get_monitor_value(self, logs: dict | None) -> Any:
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(f"Early stopping conditioned on metric `{self.monitor}` which is not "
                          f"available. Available metrics are: {','.join(logs)}", stacklevel=3)
        return value


# ============================================================================== checkpoints
_WEIGHT_SUFFIXES = (".weights.safetensors",)
_MODEL_SUFFIXES = (".keras",)


def _save_state_atomically(model: Any, path: str) -> None:
    from ..io import save

    save(model.state_dict(), path)


class ModelCheckpoint(_MonitorMixin, Callback):
    """Save the model (or its weights) during training.

    Args:
        filepath: where to save; may hold ``str.format`` fields filled from ``epoch``
            (1-based), ``batch`` and the logs, e.g. ``"model-{epoch:02d}-{val_loss:.2f}.keras"``.
            Whole models need a ``.keras`` name; weights (``save_weights_only=True``) a
            ``.weights.safetensors`` name.
        monitor: the log compared by ``save_best_only``.
        verbose: 1 prints a message at each save decision.
        save_best_only: save only when ``monitor`` improves on the best so far.
        save_weights_only: ``model.save_weights(path)`` instead of ``model.save(path)``.
        mode: ``"auto"``, ``"min"`` or ``"max"``.
        save_freq: ``"epoch"``, or save every this many batches.
        initial_value_threshold: the initial "best" value for ``save_best_only``.

    Models without ``save``/``save_weights`` have their ``state_dict`` written by
    :func:`lightgrad.save`. Every write is atomic (a temporary file renamed into place).
    """

    def __init__(self, filepath: Any, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False,
                 mode: str = "auto", save_freq: Any = "epoch",
                 initial_value_threshold: float | None = None) -> None:
        super().__init__()
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.mode = _check_mode("ModelCheckpoint", mode)
        self.save_freq = save_freq
        self.best = initial_value_threshold
        self._initial_best = initial_value_threshold
        self.monitor_op: Callable | None = None
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0
        if save_freq != "epoch" and (not isinstance(save_freq, int) or isinstance(save_freq, bool)
                                     or save_freq <= 0):
            raise ValueError(f"Unrecognized save_freq: {save_freq}. Expected save_freq are "
                             "'epoch' or integer values")
        if save_weights_only:
            if not self.filepath.endswith(_WEIGHT_SUFFIXES):
                raise ValueError("When using `save_weights_only=True` in `ModelCheckpoint`, the "
                                 "filepath provided must end in `.weights.safetensors` "
                                 "(lightgrad's weights format; Keras's `.weights.h5` is HDF5, "
                                 f"which lightgrad does not write). Received: "
                                 f"filepath={self.filepath}")
        elif not self.filepath.endswith(_MODEL_SUFFIXES):
            raise ValueError("The filepath provided must end in `.keras` (Keras model "
                             f"format). Received: filepath={self.filepath}")

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._current_epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _should_save_on_batch(self, batch: int) -> bool:
        if self.save_freq == "epoch":
            return False
        add = batch + 1 if batch <= self._last_batch_seen else batch - self._last_batch_seen
        self._batches_seen_since_last_saving += add
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _get_file_path(self, epoch: int, batch: int | None, logs: dict | None) -> str:
        logs = dict(logs or {})
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as e:
            raise KeyError(f'Failed to format this callback filepath: "{self.filepath}". '
                           f"Reason: {e} is not in the logs ({sorted(logs)})") from None

    def _should_save(self, epoch: int, logs: dict | None, filepath: str) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                _print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.",
                          stacklevel=3)
            return True
        if self.monitor_op is None:
            self.monitor_op = np.less if self._direction() == "min" else np.greater
        best_str = "None" if self.best is None else f"{self.best:.5f}"
        if self.best is None or self.monitor_op(current, self.best):
            if self.verbose > 0:
                _print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best_str} to "
                       f"{current:.5f}, saving model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            _print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best_str}")
        return False

    def _save_model(self, epoch: int, batch: int | None, logs: dict | None) -> None:
        filepath = self._get_file_path(epoch, batch, logs)
        if os.path.isdir(filepath):
            raise OSError("Please specify a non-directory filepath for ModelCheckpoint. "
                          f"Filepath used is an existing directory: {filepath}")
        if not self._should_save(epoch, logs, filepath):
            return
        folder = os.path.dirname(filepath)
        if folder:
            os.makedirs(folder, exist_ok=True)
        method = getattr(type(self.model), "save_weights" if self.save_weights_only else "save",
                         None)
        if callable(method):
            method(self.model, filepath)
        else:
            _save_state_atomically(self.model, filepath)


class BackupAndRestore(Callback):
    """Back up the whole training state at the end of each epoch and resume from it when
    ``fit`` runs again after a crash.

    The backup holds the weights and buffers, the optimizer's state (moments, step counts,
    learning rate), the epoch reached and the random generators' states (lightgrad's default
    generator, NumPy's global generator and Python's ``random``), so on the CPU a resumed run
    computes bit for bit what the uninterrupted run would have. The backup is written
    atomically (the previous one is kept until the new one is complete) and deleted when
    training finishes (``delete_checkpoint=True``).

    Args:
        backup_dir: a folder for this run's backup only.
        save_freq: ``"epoch"``, or also every this many batches (a resume then restarts the
            interrupted epoch from its start, with the weights of the last backup).
        delete_checkpoint: remove the backup when training ends normally.

    Example:
        >>> import numpy as np, tempfile
        >>> from lightgrad import keras
        >>> class Interrupt(keras.callbacks.Callback):
        ...     def on_epoch_begin(self, epoch, logs=None):
        ...         if epoch == 4:
        ...             raise RuntimeError("Interrupting!")
        >>> backup = keras.callbacks.BackupAndRestore(backup_dir=tempfile.mkdtemp())
        >>> model = keras.Sequential([keras.Input(shape=(20,)), keras.layers.Dense(10)])
        >>> model.compile(keras.optimizers.SGD(), loss="mse")
        >>> x, y = np.arange(100).reshape(5, 20) / 100, np.zeros((5, 10))
        >>> try:
        ...     model.fit(x, y, epochs=10, batch_size=1, callbacks=[backup, Interrupt()],
        ...               verbose=0)
        ... except RuntimeError:
        ...     pass
        >>> history = model.fit(x, y, epochs=10, batch_size=1, callbacks=[backup], verbose=0)
        >>> len(history.history["loss"])  # epochs 4..9
        6
    """

    _FILE = "latest.lightgrad"
    _PREV = "previous.lightgrad"

    def __init__(self, backup_dir: Any, save_freq: Any = "epoch",
                 delete_checkpoint: bool = True) -> None:
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and (not isinstance(save_freq, int) or isinstance(save_freq, bool)
                                     or save_freq <= 0):
            raise ValueError(f"Invalid value for argument `save_freq`. Received: "
                             f"save_freq={save_freq}. Expected either 'epoch' or an integer "
                             "value.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.delete_checkpoint = delete_checkpoint
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0
        self._path = os.path.join(self.backup_dir, self._FILE)
        self._prev_path = os.path.join(self.backup_dir, self._PREV)

    # ------------------------------------------------------------------ restore
    def on_train_begin(self, logs: dict | None = None) -> None:
        from ..io import load

        state = None
        errors = []
        for path in (self._path, self._prev_path):
            if not os.path.exists(path):
                continue
            try:
                state = load(path)
                break
            except (OSError, ValueError) as e:  # a damaged backup: try the previous one
                errors.append(f"{path}: {e}")
        if state is None:
            if errors:
                raise ValueError("BackupAndRestore: the backup in "
                                 f"{self.backup_dir} cannot be read: " + "; ".join(errors))
            return
        self._restore(state)

    def _restore(self, state: dict) -> None:
        from .. import backend

        if not isinstance(state, dict) or state.get("format") != "lightgrad.keras.backup":
            raise ValueError(f"BackupAndRestore: {self.backup_dir} holds a file that is not a "
                             "lightgrad training backup")
        model = self.model
        own = model.state_dict()
        saved = list(state["weights"])
        if len(saved) != len(own) or any(tuple(a.shape) != tuple(b.shape)
                                         for a, b in zip(saved, own.values())):
            raise ValueError(f"BackupAndRestore: the backup in {self.backup_dir} does not fit "
                             f"the model '{model.name}' ({len(saved)} saved arrays for "
                             f"{len(own)} weights and buffers, or different shapes)")
        model.load_state_dict(dict(zip(own.keys(), saved)))
        opt = getattr(model, "optimizer", None)
        if opt is not None and state.get("optimizer") is not None:
            if opt.inner is None:
                opt.build([p for p in model.parameters() if p.requires_grad])
            opt.inner.load_state_dict(state["optimizer"])
            opt.iterations = int(state.get("iterations", 0))
            lr = state.get("learning_rate")
            if lr is not None:
                _set_lr(opt, float(lr))
        rng = state["rng"]
        backend.default_generator.set_state(json.loads(rng["lightgrad"]))
        legacy = rng["numpy"]
        np.random.set_state((legacy["kind"], np.asarray(legacy["key"]).astype(np.uint32),
                             int(legacy["pos"]), int(legacy["has_gauss"]),
                             float(legacy["cached_gaussian"])))
        py = rng["python"]
        random.setstate((int(py["version"]), tuple(int(v) for v in np.asarray(py["state"])),
                         None if py["gauss_next"] is None else float(py["gauss_next"])))
        model._initial_epoch = int(state["epoch"])

    # ------------------------------------------------------------------ backup
    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save()

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self.save_freq == "epoch":
            return
        add = batch + 1 if batch <= self._last_batch_seen else batch - self._last_batch_seen
        self._batches_seen_since_last_saving += add
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            self._save()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._current_epoch = epoch

    def _state(self) -> dict:
        from .. import backend

        model = self.model
        opt = getattr(model, "optimizer", None)
        legacy: Any = np.random.get_state()
        version, internal, gauss = random.getstate()
        return {
            "format": "lightgrad.keras.backup", "version": 1,
            "epoch": self._current_epoch, "batch": self._last_batch_seen,
            "weights": list(model.state_dict().values()),  # by position: names vary
            "optimizer": None if opt is None or opt.inner is None else opt.inner.state_dict(),
            "iterations": 0 if opt is None else int(getattr(opt, "iterations", 0)),
            "learning_rate": None if opt is None else float(opt.learning_rate),
            "rng": {
                "lightgrad": json.dumps(backend.default_generator.get_state()),
                "numpy": {"kind": str(legacy[0]), "key": np.asarray(legacy[1], np.int64),
                          "pos": int(legacy[2]), "has_gauss": int(legacy[3]),
                          "cached_gaussian": float(legacy[4])},
                "python": {"version": int(version), "state": np.asarray(internal, np.int64),
                           "gauss_next": gauss},
            },
        }

    def _save(self) -> None:
        from ..io import save

        os.makedirs(self.backup_dir, exist_ok=True)
        state = self._state()
        if os.path.exists(self._path):
            os.replace(self._path, self._prev_path)
        save(state, self._path)

    def on_train_end(self, logs: dict | None = None) -> None:
        if not self.delete_checkpoint:
            return
        for path in (self._path, self._prev_path):
            if os.path.exists(path):
                os.remove(path)
        try:
            os.rmdir(self.backup_dir)  # only if nothing else is in it
        except OSError:
            pass


# ============================================================================== learning rate
def _get_lr(optimizer: Any) -> float:
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError('Optimizer must have a "learning_rate" attribute.')
    return float(optimizer.learning_rate)


def _set_lr(optimizer: Any, lr: float) -> None:
    setter = getattr(optimizer, "set_learning_rate", None)
    if callable(setter):
        setter(float(lr))
    else:
        optimizer.learning_rate = float(lr)


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved for
    ``patience`` epochs; logs ``learning_rate`` every epoch (so ``History`` has it).

    Args:
        monitor: the log to watch (``"val_loss"``).
        factor: ``new_lr = lr * factor`` (< 1).
        patience: epochs without improvement before reducing.
        verbose: 1 prints a message at each reduction.
        mode: ``"auto"`` (maximize names containing ``acc``, else minimize), ``"min"``,
            ``"max"``.
        min_delta: the smallest change that counts as an improvement.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: the learning rate never goes below this.
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 verbose: int = 0, mode: str = "auto", min_delta: float = 1e-4,
                 cooldown: int = 0, min_lr: float = 0.0, **kwargs: Any) -> None:
        super().__init__()
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0. Received "
                             f"factor={factor}")
        self.monitor = monitor
        self.factor = factor
        self.min_lr = min_lr
        self.min_delta = min_delta
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.mode = mode
        self.cooldown_counter = 0
        self.wait = 0
        self.best = 0.0
        self._reset()

    def _reset(self) -> None:
        if self.mode not in ("auto", "min", "max"):
            warnings.warn(f"Learning rate reduction mode {self.mode} is unknown, fallback to "
                          "auto mode.", stacklevel=3)
            self.mode = "auto"
        if self.mode == "min" or (self.mode == "auto" and "acc" not in self.monitor):
            self.monitor_op = lambda a, b: bool(np.less(a, b - self.min_delta))
            self.best = math.inf
        else:
            self.monitor_op = lambda a, b: bool(np.greater(a, b + self.min_delta))
            self.best = -math.inf
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._reset()

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs if logs is not None else {}
        optimizer = self.model.optimizer
        logs["learning_rate"] = _get_lr(optimizer)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Learning rate reduction is conditioned on metric `{self.monitor}` "
                          f"which is not available. Available metrics are: {','.join(logs)}.",
                          stacklevel=3)
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self.monitor_op(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = _get_lr(optimizer)
                if old_lr > np.float32(self.min_lr):
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    _set_lr(optimizer, new_lr)
                    if self.verbose > 0:
                        _print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning "
                               f"rate to {new_lr}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0


class LearningRateScheduler(Callback):
    """At the start of every epoch, set the learning rate to ``schedule(epoch, lr)`` (or
    ``schedule(epoch)``); logs ``learning_rate`` every epoch.

    Example:
        >>> import math
        >>> from lightgrad import keras
        >>> def scheduler(epoch, lr):
        ...     return lr if epoch < 10 else lr * math.exp(-0.1)
        >>> callback = keras.callbacks.LearningRateScheduler(scheduler)
    """

    def __init__(self, schedule: Callable, verbose: int = 0) -> None:
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        optimizer = self.model.optimizer
        lr = _get_lr(optimizer)
        try:
            new_lr = self.schedule(epoch, lr)
        except TypeError:  # the old one-argument form
            new_lr = self.schedule(epoch)
        if isinstance(new_lr, bool) or not isinstance(new_lr, int | float | np.floating |
                                                      np.integer):
            if hasattr(new_lr, "item") and getattr(new_lr, "ndim", 1) == 0:
                new_lr = new_lr.item()
            else:
                raise ValueError(f"The output of the `schedule` function should be a float. "
                                 f"Got: {new_lr}")
        _set_lr(optimizer, float(new_lr))
        if self.verbose > 0:
            _print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                   f"{float(new_lr)}.")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None:
            logs["learning_rate"] = _get_lr(self.model.optimizer)


# ============================================================================== logging
class CSVLogger(Callback):
    """Stream the epoch logs to a CSV file: a header ``epoch,<sorted log names>`` and one row
    per epoch (``val_`` columns are added up front when validation has not run yet).

    Args:
        filename: the CSV file.
        separator: the column separator.
        append: append to an existing file (no second header) instead of overwriting it.
    """

    def __init__(self, filename: Any, separator: str = ",", append: bool = False) -> None:
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer: Any = None
        self.keys: list[str] | None = None
        self.append_header = True
        self.csv_file: Any = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, encoding="utf-8") as f:
                    self.append_header = not bool(len(f.readline()))
            mode = "a"
        else:
            mode = "w"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, mode, newline="", encoding="utf-8")  # noqa: SIM115
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}

        def handle(v: Any) -> Any:
            if isinstance(v, str):
                return v
            arr = np.asarray(v) if not isinstance(v, int | float) else None
            if arr is not None and arr.ndim > 0:
                return f"[{', '.join(map(str, arr.reshape(-1).tolist()))}]"
            return v

        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(k.startswith("val_") for k in self.keys):
                self.keys.extend([f"val_{k}" for k in self.keys])
        if self.writer is None:
            sep = self.sep

            class Dialect(csv.excel):
                delimiter = sep

            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys,
                                         dialect=Dialect)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((k, handle(logs.get(k, "NA"))) for k in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs: dict | None = None) -> None:
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None


class TerminateOnNaN(Callback):
    """Stop training at the very batch whose loss is NaN or infinite (``raise_error=True``
    raises instead)."""

    def __init__(self, raise_error: bool = False) -> None:
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        value = float(np.asarray(loss, dtype=np.float64).reshape(-1)[0])
        if math.isnan(value) or math.isinf(value):
            if self.raise_error:
                raise RuntimeError(f"Batch {batch}: Invalid loss {value}, terminating "
                                   "training")
            _print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback from plain functions: ``on_epoch_begin(epoch, logs)``,
    ``on_epoch_end(epoch, logs)``, ``on_train_begin(logs)``, ``on_train_end(logs)``,
    ``on_train_batch_begin(batch, logs)``, ``on_train_batch_end(batch, logs)``, and any other
    hook by keyword (``on_test_begin=...``).

    Example:
        >>> from lightgrad import keras
        >>> seen = []
        >>> cb = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
    """

    def __init__(self, on_epoch_begin: Callable | None = None,
                 on_epoch_end: Callable | None = None, on_train_begin: Callable | None = None,
                 on_train_end: Callable | None = None,
                 on_train_batch_begin: Callable | None = None,
                 on_train_batch_end: Callable | None = None, **kwargs: Any) -> None:
        super().__init__()
        for name, fn in kwargs.items():
            if not name.startswith("on_") or not hasattr(Callback, name):
                raise TypeError(f"LambdaCallback: unknown hook {name!r}")
            setattr(self, name, fn)
        hooks = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end,
                 "on_train_begin": on_train_begin, "on_train_end": on_train_end,
                 "on_train_batch_begin": on_train_batch_begin,
                 "on_train_batch_end": on_train_batch_end}
        for name, fn in hooks.items():
            if fn is not None:
                setattr(self, name, fn)
