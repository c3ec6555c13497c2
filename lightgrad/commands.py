"""The ``lightgrad train``, ``evaluate``, ``predict`` and ``summary`` commands.

    lightgrad train                       train the default model: an MLP on the spiral set
    lightgrad train --dataset moons --model 32,32 --epochs 30 --optimizer sgd --lr 0.1
    lightgrad evaluate lightgrad-run/model.keras
    lightgrad predict lightgrad-run/model.keras points.csv --output predictions.csv
    lightgrad summary lightgrad-run/model.keras

``lightgrad train`` with no arguments needs nothing optional: it generates the two-spirals set
(2,000 points, :func:`lightgrad.datasets.make_spiral`), trains a 2-64-64-2 ReLU network with Adam
for 20 epochs (a few seconds on 2 cores) with the progress bar, prints the test accuracy and
writes to the output folder (``./lightgrad-run`` or ``--out``): the model (``model.keras``), a
JSON summary (``summary.json``: data, model, settings, history, test metrics), and with
matplotlib installed the history plot (``history.png``) and for 2-D data the decision boundary
(``boundary.png``).

Datasets: the generated 2-D sets ``spiral``, ``circle``, ``xor``, ``gaussians``, ``moons``
(classification) and ``plane``, ``multi_gaussian`` (regression); with optional data installed,
``digits`` (scikit-learn's 8x8 digits), ``mnist`` and ``fashion_mnist``.

:func:`add_subparsers` registers the four commands on an ``argparse`` sub-parser group (the
``lightgrad`` command's); :func:`main` runs them on their own
(``python -m lightgrad.commands train``).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["DATASETS", "Data", "load_dataset", "build_mlp", "train", "evaluate", "predict",
           "summary", "add_subparsers", "main", "cmd_train", "cmd_evaluate", "cmd_predict",
           "cmd_summary"]

#: the generated 2-D sets: name -> (task, default samples, default noise)
_TOY = {"spiral": ("classification", 2000, 0.1), "circle": ("classification", 1000, 0.1),
        "xor": ("classification", 1000, 0.1), "gaussians": ("classification", 1000, 0.1),
        "moons": ("classification", 1000, 0.1), "plane": ("regression", 1000, 0.1),
        "multi_gaussian": ("regression", 1000, 0.1)}
#: sets that need optional data (the message names what to install when missing)
_OPTIONAL = ("digits", "mnist", "fashion_mnist")
DATASETS = (*_TOY, *_OPTIONAL)
DEFAULT_OUT = "lightgrad-run"
_SPLIT = (0.6, 0.2, 0.2)  # train / validation / test


class CommandError(Exception):
    """A user-facing failure of a command (printed without a traceback, exit status 2)."""


@dataclasses.dataclass
class Data:
    """A dataset split three ways, with what the commands need to know about it."""

    name: str
    task: str  # "classification" or "regression"
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    params: dict

    @property
    def input_dim(self) -> int:
        return int(self.x_train.shape[1])

    def sizes(self) -> dict:
        return {"train": len(self.x_train), "validation": len(self.x_val),
                "test": len(self.x_test)}


def _split(x: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, ...]:
    perm = np.random.default_rng(seed).permutation(len(x))
    n_train = int(round(_SPLIT[0] * len(x)))
    n_val = int(round(_SPLIT[1] * len(x)))
    idx = (perm[:n_train], perm[n_train:n_train + n_val], perm[n_train + n_val:])
    return tuple(a[i] for i in idx for a in (x, y))


def load_dataset(name: str = "spiral", samples: int | None = None, noise: float | None = None,
                 seed: int = 0) -> Data:
    """Load or generate ``name`` and split it 60/20/20 into train/validation/test (seeded).

    Raises:
        CommandError: an unknown name, or an optional dataset that is not installed (the
            message says what to install).
    """
    from . import datasets

    key = name.replace("-", "_").lower()
    params: dict[str, Any] = {"seed": seed}
    if key in _TOY:
        task, n_default, noise_default = _TOY[key]
        n = samples or n_default
        nz = noise_default if noise is None else noise
        params.update(samples=n, noise=nz)
        try:
            x, y = getattr(datasets, f"make_{key}")(n=n, noise=nz, seed=seed)
        except (TypeError, ValueError) as e:
            raise CommandError(f"dataset {name}: {e}") from e
        x = x.astype(np.float32)
        y = y.astype(np.int64) if task == "classification" else y.astype(np.float32)
    elif key in _OPTIONAL:
        task = "classification"
        try:
            x, y = _optional(key)
        except (ImportError, FileNotFoundError, OSError) as e:
            raise CommandError(f"dataset {name} is not available: {e}") from e
        if samples:
            keep = np.random.default_rng(seed).permutation(len(x))[:samples]
            x, y = x[keep], y[keep]
            params["samples"] = int(samples)
    else:
        raise CommandError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}")
    xtr, ytr, xva, yva, xte, yte = _split(x, y, seed)
    n_classes = int(y.max()) + 1 if task == "classification" else 0
    return Data(key, task, xtr, ytr, xva, yva, xte, yte, n_classes=n_classes, params=params)


def _optional(key: str) -> tuple[np.ndarray, np.ndarray]:
    from . import datasets

    if key == "digits":
        x, y = datasets.load_digits()
        return (x / 16.0).astype(np.float32), y.astype(np.int64)
    loader = datasets.load_mnist if key == "mnist" else datasets.load_fashion_mnist
    xs, ys = [], []
    for train in (True, False):
        images, labels = loader(train=train)
        xs.append(np.asarray(images).reshape(len(images), -1).astype(np.float32) / 255.0)
        ys.append(np.asarray(labels).astype(np.int64))
    return np.concatenate(xs), np.concatenate(ys)


def parse_hidden(spec: str) -> list[int]:
    """``"64,64"`` (or ``"mlp:64,64"``) -> ``[64, 64]``; ``""``/``"linear"`` -> no hidden
    layer."""
    text = spec.strip().lower()
    if text.startswith("mlp:"):
        text = text[4:]
    if text in ("", "linear", "none", "0"):
        return []
    try:
        sizes = [int(s) for s in text.replace("x", ",").split(",") if s.strip()]
    except ValueError:
        raise CommandError(f"--model: expected hidden layer sizes like 64,64, got {spec!r}") \
            from None
    if any(s <= 0 for s in sizes):
        raise CommandError(f"--model: layer sizes must be positive, got {spec!r}")
    return sizes


def build_mlp(input_dim: int, hidden: Sequence[int], task: str, n_classes: int = 2,
              activation: str = "relu", dropout: float = 0.0) -> Any:
    """A keras ``Sequential`` MLP: ``hidden`` Dense layers, then softmax over the classes
    (classification) or one linear output (regression)."""
    from . import keras

    layers: list[Any] = [keras.Input(shape=(input_dim,))]
    for units in hidden:
        layers.append(keras.layers.Dense(int(units), activation=activation))
        if dropout:
            layers.append(keras.layers.Dropout(dropout))
    if task == "classification":
        layers.append(keras.layers.Dense(n_classes, activation="softmax"))
    else:
        layers.append(keras.layers.Dense(1))
    return keras.Sequential(layers)


def _compile(model: Any, task: str, optimizer: str, lr: float) -> None:
    from . import keras

    try:
        opt = keras.optimizers.get(optimizer)
    except ValueError as e:
        raise CommandError(f"--optimizer: {e}") from None
    opt.learning_rate = float(lr)
    if task == "classification":
        model.compile(opt, "sparse_categorical_crossentropy", metrics=["accuracy"])
    else:
        model.compile(opt, "mse", metrics=["mae"])


def _has_matplotlib() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def _describe(model: Any) -> str:
    parts = []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "Dense":
            from .keras import activations

            act = activations.serialize(layer.activation)
            parts.append(f"Dense({layer.units}{'' if act == 'linear' else ', ' + str(act)})")
        elif kind == "Dropout":
            parts.append(f"Dropout({layer.rate})")
        else:
            parts.append(kind)
    return " -> ".join(parts)


def _floats(d: dict) -> dict:
    return {k: [float(v) for v in vs] if isinstance(vs, list) else float(vs)
            for k, vs in d.items()}


def train(dataset: str = "spiral", hidden: Sequence[int] | str = (64, 64), epochs: int = 20,
          batch_size: int = 32, optimizer: str = "adam", lr: float = 0.01,
          out: str | os.PathLike[str] = DEFAULT_OUT, seed: int = 0, verbose: Any = 1,
          samples: int | None = None, noise: float | None = None, activation: str = "relu",
          dropout: float = 0.0, plots: bool = True, log: Any = None) -> dict:
    """Train an MLP on ``dataset``, print its test metrics and write the model, the plots and a
    JSON summary to ``out``; returns the summary (also in ``out/summary.json``)."""
    import lightgrad


    log = log or sys.stdout
    start = time.perf_counter()
    if isinstance(hidden, str):
        hidden = parse_hidden(hidden)
    if epochs < 1 or batch_size < 1:
        raise CommandError(f"--epochs and --batch-size must be positive, got {epochs} and "
                           f"{batch_size}")
    if not (lr > 0 and math.isfinite(lr)):
        raise CommandError(f"--lr must be a positive number, got {lr}")
    if not 0 <= dropout < 1:
        raise CommandError(f"--dropout must be in [0, 1), got {dropout}")
    lightgrad.manual_seed(seed)
    data = load_dataset(dataset, samples, noise, seed)
    what = f"{data.n_classes} classes" if data.task == "classification" else "regression"
    print(f"lightgrad train: {data.name} ({data.input_dim}-D, {what}): "
          f"{len(data.x_train)} train / {len(data.x_val)} validation / {len(data.x_test)} test "
          "samples", file=log)
    try:
        model = build_mlp(data.input_dim, hidden, data.task, data.n_classes, activation,
                          dropout)
    except ValueError as e:
        raise CommandError(str(e)) from None
    _compile(model, data.task, optimizer, lr)
    print(f"model: {_describe(model)}, {model.count_params():,} parameters; {optimizer} "
          f"lr={lr:g}, batch {batch_size}, {epochs} epochs, seed {seed}", file=log, flush=True)
    history = model.fit(data.x_train, data.y_train, batch_size=batch_size, epochs=epochs,
                        validation_data=(data.x_val, data.y_val), verbose=verbose)
    test = model.evaluate(data.x_test, data.y_test, batch_size=256, verbose=0,
                          return_dict=True)
    seconds = time.perf_counter() - start
    if data.task == "classification":
        print(f"test accuracy: {test['accuracy']:.4f}  (test loss {test['loss']:.4f})",
              file=log)
    else:
        print(f"test MSE: {test['loss']:.4f}  (test MAE {test['mae']:.4f})", file=log)

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    files = {"model": str(folder / "model.keras")}
    model.save(files["model"])
    if plots and _has_matplotlib():
        from . import viz

        files["history_plot"] = str(folder / "history.png")
        viz.plot_history(history, files["history_plot"],
                         title=f"{data.name}: {_describe(model)}")
        if data.task == "classification" and data.input_dim == 2:
            files["boundary_plot"] = str(folder / "boundary.png")
            viz.plot_decision_boundary(model, data.x_test, data.y_test,
                                       files["boundary_plot"], output="probs",
                                       title=f"{data.name} (test set)")
    elif plots:
        print("(matplotlib is not installed: no plots; pip install lightgrad[examples])",
              file=log)
    files["summary"] = str(folder / "summary.json")
    report = {
        "command": "train",
        "lightgrad_version": lightgrad.__version__,
        "dataset": {"name": data.name, "task": data.task, "input_dim": data.input_dim,
                    "classes": data.n_classes, "split": data.sizes(), **data.params},
        "model": {"hidden": [int(h) for h in hidden], "activation": activation,
                  "dropout": dropout, "parameters": int(model.count_params()),
                  "layers": _describe(model)},
        "training": {"epochs": epochs, "batch_size": batch_size, "optimizer": optimizer,
                     "learning_rate": lr, "seed": seed, "seconds": round(seconds, 3)},
        "history": _floats(history.history),
        "test": _floats(test),
        "files": files,
    }
    tmp = folder / ".summary.json.tmp"
    tmp.write_text(json.dumps(report, indent=2) + "\n")
    os.replace(tmp, files["summary"])
    print(f"wrote {', '.join(files.values())} ({seconds:.1f} s)", file=log)
    return report


# ============================================================================ evaluate
def _load(path: str | os.PathLike[str], compile: bool = True) -> Any:
    from .io import LoadError
    from .keras.models import load_model

    try:
        return load_model(path, compile=compile)
    except FileNotFoundError as e:
        raise CommandError(str(e)) from None
    except (LoadError, ValueError) as e:
        raise CommandError(f"cannot load {os.fspath(path)}: {e}") from None


def _read_data_file(path: str | os.PathLike[str], labels: bool) -> tuple[np.ndarray, Any]:
    """Inputs (and labels: the ``y`` array of an ``.npz``, or a CSV's last column) from a
    ``.npy``, ``.npz`` or ``.csv`` file. Nothing is unpickled."""
    p = Path(path)
    if not p.is_file():
        raise CommandError(f"no such file: {os.fspath(path)}")
    suffix = p.suffix.lower()
    try:
        if suffix == ".npy":
            x = np.load(p, allow_pickle=False)
            y = None
        elif suffix == ".npz":
            with np.load(p, allow_pickle=False) as z:
                if "x" not in z:
                    raise CommandError(f"{p}: an .npz must hold an array named 'x' (and 'y' "
                                       f"for labels); it has {sorted(z.files)}")
                x = z["x"]
                y = z["y"] if "y" in z else None
        elif suffix in (".csv", ".txt"):
            x = _read_csv(p)
            y = None
            if labels:
                x, y = x[:, :-1], x[:, -1]
        else:
            raise CommandError(f"{p}: unsupported file type {suffix!r} (use .npy, .npz or "
                               ".csv)")
    except CommandError:
        raise
    except (ValueError, OSError, EOFError) as e:
        raise CommandError(f"cannot read {p}: {e}") from None
    if x.dtype.kind not in "biuf":
        raise CommandError(f"{p}: expected numbers, got an array of dtype {x.dtype}")
    if labels and y is None:
        raise CommandError(f"{p}: no labels (an .npz needs a 'y' array; a .csv's last column "
                           "is the label)")
    return np.asarray(x, np.float32), y


def _read_csv(p: Path) -> np.ndarray:
    with open(p) as f:
        first = f.readline()
    try:
        [float(v) for v in first.strip().split(",") if v.strip()]
        skip = 0
    except ValueError:
        skip = 1  # a header line
    arr = np.loadtxt(p, delimiter=",", dtype=np.float64, ndmin=2, skiprows=skip)
    return arr


def _saved_dataset(model_path: str | os.PathLike[str]) -> dict | None:
    """The dataset settings in the ``summary.json`` that ``train`` wrote beside the model."""
    summary_file = Path(model_path).parent / "summary.json"
    if not summary_file.is_file():
        return None
    try:
        report = json.loads(summary_file.read_text())
        ds = report["dataset"]
        if Path(report["files"]["model"]).name != Path(model_path).name:
            return None
        return {"name": str(ds["name"]), "samples": ds.get("samples"),
                "noise": ds.get("noise"), "seed": int(ds.get("seed", 0))}
    except (ValueError, KeyError, TypeError, OSError):
        return None


def evaluate(model_path: str | os.PathLike[str], dataset: str | None = None,
             data_file: str | None = None, seed: int | None = None, samples: int | None = None,
             noise: float | None = None, batch_size: int = 256, log: Any = None) -> dict:
    """Evaluate a saved model on the test split of ``dataset`` (by default the one it was
    trained on, read from the ``summary.json`` beside it) or on a labelled ``data_file``;
    prints and returns the metrics."""
    log = log or sys.stdout
    model = _load(model_path)
    if data_file is not None:
        x, y = _read_data_file(data_file, labels=True)
        source = os.fspath(data_file)
    else:
        saved = _saved_dataset(model_path)
        if dataset is None and saved is None:
            raise CommandError("which data? pass --dataset NAME or --data FILE (no summary.json "
                               "from `lightgrad train` beside the model)")
        if dataset is None or (saved and saved["name"] == dataset.replace("-", "_").lower()):
            assert saved is not None or dataset is not None
            base = saved or {}
            name = dataset or base["name"]
            samples = samples if samples is not None else base.get("samples")
            noise = noise if noise is not None else base.get("noise")
            seed = seed if seed is not None else base.get("seed", 0)
        else:
            name = dataset
        data = load_dataset(name, samples, noise, 0 if seed is None else seed)
        x, y = data.x_test, data.y_test
        source = f"{data.name} test split ({len(x)} samples)"
    _check_inputs(model, x)
    if getattr(model, "compiled", False):
        metrics = model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)
    else:
        pred = model.predict(x, batch_size=batch_size, verbose=0)
        metrics = {"mse": float(np.mean((pred.reshape(len(y), -1) -
                                         np.asarray(y, np.float64).reshape(len(y), -1)) ** 2))}
    metrics = {k: float(v) for k, v in metrics.items()}
    print(f"lightgrad evaluate: {os.fspath(model_path)} on {source}", file=log)
    for k, v in metrics.items():
        print(f"  {k}: {v:.4f}", file=log)
    return metrics


def _check_inputs(model: Any, x: np.ndarray) -> None:
    shape = getattr(model, "input_shape", None)
    if isinstance(shape, tuple) and shape and all(isinstance(s, int | type(None))
                                                  for s in shape):
        want = tuple(shape[1:])
        if tuple(x.shape[1:]) != want and None not in want:
            raise CommandError(f"the model expects inputs of shape (N, "
                               f"{', '.join(map(str, want))}), the data has shape "
                               f"{tuple(x.shape)}")


# ============================================================================ predict
def predict(model_path: str | os.PathLike[str], input_path: str | os.PathLike[str],
            output: str | None = None, classes: bool = False, batch_size: int = 256,
            log: Any = None) -> np.ndarray:
    """Run a saved model on the inputs in ``input_path`` (``.npy``, ``.npz`` with ``x``, or
    ``.csv``). Prints the predictions as CSV (the class and the probabilities for a classifier)
    or writes them to ``output`` (``.npy`` or ``.csv``); returns them."""
    log = log or sys.stdout
    model = _load(model_path, compile=False)
    x, _ = _read_data_file(input_path, labels=False)
    if x.ndim == 1:
        x = x[None, :]
    _check_inputs(model, x)
    pred = np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    pred2 = pred.reshape(len(pred), -1)
    probs = pred2.shape[1] > 1 and bool(np.all(pred2 >= 0)) and \
        bool(np.allclose(pred2.sum(axis=1), 1.0, atol=1e-3))
    if classes:
        result = pred2.argmax(axis=1) if pred2.shape[1] > 1 else (pred2[:, 0] > 0.5).astype(int)
        header, rows = ["class"], result[:, None]
    else:
        result = pred
        if probs:
            header = ["class"] + [f"p{i}" for i in range(pred2.shape[1])]
            rows = np.concatenate([pred2.argmax(axis=1)[:, None], pred2], axis=1)
        else:
            header = [f"y{i}" for i in range(pred2.shape[1])]
            rows = pred2
    text = _csv(header, rows)
    if output is None:
        log.write(text)
    else:
        target = Path(output)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.suffix.lower() == ".npy":
            np.save(target, result)
        elif target.suffix.lower() in (".csv", ".txt"):
            target.write_text(text)
        else:
            raise CommandError(f"--output: unsupported file type {target.suffix!r} (use .npy "
                               "or .csv)")
        print(f"lightgrad predict: wrote {len(pred)} predictions to {target}", file=log)
    return np.asarray(result)


def _csv(header: list[str], rows: np.ndarray) -> str:
    lines = [",".join(header)]
    for row in rows:
        cells = []
        for i, v in enumerate(row):
            cells.append(str(int(v)) if header[i] == "class" else f"{float(v):.6g}")
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


# ============================================================================ summary
def summary(model_path: str | os.PathLike[str], log: Any = None) -> str:
    """Print (and return) a saved model's layers, output shapes and parameter counts, its
    compile settings and the file's metadata."""
    from .keras.saving import read_metadata

    log = log or sys.stdout
    try:
        meta = read_metadata(model_path)
    except FileNotFoundError as e:
        raise CommandError(str(e)) from None
    except ValueError as e:
        raise CommandError(f"cannot read {os.fspath(model_path)}: {e}") from None
    try:
        model = _load(model_path, compile=True)
    except CommandError:
        model = _load(model_path, compile=False)
    lines = [f"{os.fspath(model_path)}: saved by lightgrad {meta.get('lightgrad_version')} on "
             f"{meta.get('date_saved')} (format {meta.get('format_version')})"]
    captured: list[str] = []
    model.summary(print_fn=lambda s, *a, **k: captured.append(str(s)))
    lines.extend(captured)
    if getattr(model, "compiled", False):
        opt = model.optimizer
        loss = getattr(model.loss, "name", None) or getattr(model.loss, "__name__", None) or \
            type(model.loss).__name__
        metrics = [m if isinstance(m, str) else type(m).__name__ for m in model._metric_specs]
        lines.append(f"Compiled: optimizer {type(opt).__name__}(learning_rate="
                     f"{opt.learning_rate:g}), loss {loss}, metrics "
                     f"{metrics}; trained {opt.iterations} steps")
    else:
        lines.append("Not compiled (no training configuration saved)")
    text = "\n".join(lines) + "\n"
    log.write(text)
    return text


# ============================================================================ argparse
def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        v = 0
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return v


def _verbose(text: str) -> Any:
    if text == "auto":
        return "auto"
    if text not in ("0", "1", "2"):
        raise argparse.ArgumentTypeError(f"must be 0, 1, 2 or auto, got {text!r}")
    return int(text)


def _run(fn: Any, name: str) -> int:
    try:
        fn()
    except CommandError as e:
        print(f"lightgrad {name}: {e}", file=sys.stderr)
        return 2
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """The ``lightgrad train`` handler."""
    return _run(lambda: train(dataset=args.dataset, hidden=args.model, epochs=args.epochs,
                              batch_size=args.batch_size, optimizer=args.optimizer,
                              lr=args.lr, out=args.out, seed=args.seed, verbose=args.verbose,
                              samples=args.samples, noise=args.noise,
                              activation=args.activation, dropout=args.dropout,
                              plots=not args.no_plots), "train")


def cmd_evaluate(args: argparse.Namespace) -> int:
    """The ``lightgrad evaluate`` handler."""
    return _run(lambda: evaluate(args.model, dataset=args.dataset, data_file=args.data,
                                 seed=args.seed, samples=args.samples, noise=args.noise,
                                 batch_size=args.batch_size), "evaluate")


def cmd_predict(args: argparse.Namespace) -> int:
    """The ``lightgrad predict`` handler."""
    return _run(lambda: predict(args.model, args.input, output=args.output,
                                classes=args.classes, batch_size=args.batch_size), "predict")


def cmd_summary(args: argparse.Namespace) -> int:
    """The ``lightgrad summary`` handler."""
    return _run(lambda: summary(args.model), "summary")


def add_subparsers(subparsers: Any) -> None:
    """Register ``train``, ``evaluate``, ``predict`` and ``summary`` on an argparse sub-parser
    group; each sets ``func`` to its handler (``args.func(args)`` returns the exit status)."""
    tr = subparsers.add_parser(
        "train", help="train a model (default: an MLP on the generated spiral set)",
        description="Train an MLP with the Keras API and write the model (model.keras), a JSON "
                    "summary and, with matplotlib, the history and decision-boundary plots to "
                    "the output folder. With no options: the spiral set, 2-64-64-2 ReLU, Adam "
                    "lr 0.01, 20 epochs (seconds on a laptop; nothing optional needed).")
    tr.add_argument("--dataset", default="spiral", choices=DATASETS, metavar="NAME",
                    help=f"one of {', '.join(DATASETS)} (default spiral; digits, mnist and "
                         "fashion_mnist need their data installed)")
    tr.add_argument("--model", default="64,64", metavar="SIZES",
                    help="hidden layer sizes, e.g. 64,64 (default) or 'linear' for none")
    tr.add_argument("--activation", default="relu", help="hidden activation (default relu)")
    tr.add_argument("--dropout", type=float, default=0.0, help="dropout after each hidden layer")
    tr.add_argument("--epochs", type=_positive_int, default=20, help="default 20")
    tr.add_argument("--batch-size", type=_positive_int, default=32, help="default 32")
    tr.add_argument("--optimizer", default="adam",
                    help="sgd, adam, adamw, rmsprop, adagrad, adadelta, adamax, nadam "
                         "(default adam)")
    tr.add_argument("--lr", type=float, default=0.01, help="learning rate (default 0.01)")
    tr.add_argument("--samples", type=_positive_int, default=None,
                    help="number of samples to generate or use")
    tr.add_argument("--noise", type=float, default=None, help="noise of a generated set")
    tr.add_argument("--out", default=DEFAULT_OUT, help=f"output folder (default ./{DEFAULT_OUT})")
    tr.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    tr.add_argument("--verbose", type=_verbose, default=1,
                    help="0 silent, 1 progress bar (default), 2 one line per epoch")
    tr.add_argument("--no-plots", action="store_true", help="do not draw the plots")
    tr.set_defaults(func=cmd_train)

    ev = subparsers.add_parser(
        "evaluate", help="evaluate a saved model on a dataset's test split or a data file",
        description="Evaluate MODEL (a .keras file) on the test split of the dataset it was "
                    "trained on (read from the summary.json beside it), of --dataset, or on "
                    "a labelled --data file (.npz with x and y, or .csv whose last column is "
                    "the label).")
    ev.add_argument("model", metavar="MODEL", help="a .keras file")
    ev.add_argument("--dataset", default=None, metavar="NAME", help=f"one of {', '.join(DATASETS)}")
    ev.add_argument("--data", default=None, metavar="FILE", help="labelled .npz or .csv")
    ev.add_argument("--samples", type=_positive_int, default=None)
    ev.add_argument("--noise", type=float, default=None)
    ev.add_argument("--seed", type=int, default=None)
    ev.add_argument("--batch-size", type=_positive_int, default=256)
    ev.set_defaults(func=cmd_evaluate)

    pr = subparsers.add_parser(
        "predict", help="run a saved model on inputs from a .npy/.csv file",
        description="Run MODEL on the rows of INPUT (.npy, .npz with x, or .csv) and print the "
                    "predictions as CSV (the class and probabilities for a classifier), or "
                    "write them to --output (.npy or .csv).")
    pr.add_argument("model", metavar="MODEL", help="a .keras file")
    pr.add_argument("input", metavar="INPUT", help="inputs: .npy, .npz or .csv")
    pr.add_argument("--output", "-o", default=None, metavar="FILE", help=".npy or .csv")
    pr.add_argument("--classes", action="store_true", help="only the predicted classes")
    pr.add_argument("--batch-size", type=_positive_int, default=256)
    pr.set_defaults(func=cmd_predict)

    su = subparsers.add_parser("summary", help="show a saved model's layers and settings",
                               description="Print MODEL's layers, output shapes, parameter "
                                           "counts, compile settings and file metadata.")
    su.add_argument("model", metavar="MODEL", help="a .keras file")
    su.set_defaults(func=cmd_summary)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lightgrad",
                                     description="lightgrad: train, evaluate, predict, summary")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_subparsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one of the commands (``python -m lightgrad.commands train ...``); returns the exit
    status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
