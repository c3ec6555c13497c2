"""The playground's settings: one validated, bounded record of everything that shapes a run.

Every request that can start or change training (the page's WebSocket messages, the export
endpoint) carries a plain JSON object that goes through :func:`parse_settings`. It accepts only
the known keys, each of the right JSON type and inside its bounds; anything else is a
:class:`SettingsError` listing every problem (the server answers it with status 422). The
resulting :class:`Settings` holds only enumerated names and bounded numbers, so nothing taken
from a request is ever executed, looked up as a path or pasted into code unchecked.

Example:
    >>> s = parse_settings({"dataset": "spiral", "layers": [8, 8], "activation": "tanh"})
    >>> s.dataset, s.layers, s.problem
    ('spiral', (8, 8), 'classification')
    >>> try:
    ...     parse_settings({"layers": [9], "lr": 100})
    ... except SettingsError as e:
    ...     for err in e.errors:
    ...         print(err)
    {'loc': ['lr'], 'msg': 'must be a number from 1e-05 to 10, got 100', 'type': 'range'}
    {'loc': ['layers', 0], 'msg': 'must be an integer from 1 to 8, got 9', 'type': 'range'}
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

__all__ = [
    "ACTIVATIONS",
    "BOUNDS",
    "CLASSIFICATION_DATASETS",
    "DATASETS",
    "FEATURES",
    "OPTIMIZERS",
    "PROBLEMS",
    "REGULARIZATIONS",
    "REGRESSION_DATASETS",
    "Settings",
    "SettingsError",
    "parse_settings",
    "schema",
]

#: Data sets by problem type, in the page's order.
CLASSIFICATION_DATASETS = ("circle", "xor", "gauss", "spiral")
REGRESSION_DATASETS = ("plane", "multigauss")
DATASETS = CLASSIFICATION_DATASETS + REGRESSION_DATASETS
PROBLEMS = ("classification", "regression")
#: Input features, each a function of the point ``(x1, x2)``.
FEATURES = ("x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2")
ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear")
REGULARIZATIONS = ("none", "l1", "l2")
OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop")

#: Inclusive bounds of the numeric settings.
BOUNDS: dict[str, tuple[float, float]] = {
    "noise": (0, 50),          # percent, as the playground's slider
    "ratio": (10, 90),         # percent of the points used for training
    "batch": (1, 30),
    "points": (20, 2000),
    "layers": (0, 6),          # number of hidden layers
    "neurons": (1, 8),         # per hidden layer
    "lr": (1e-5, 10.0),
    "reg_rate": (0.0, 10.0),
    "dropout": (0.0, 0.8),
    "seed": (0, 2**31 - 1),
    "epochs": (1, 100_000),    # for an exported script
}


class SettingsError(ValueError):
    """Invalid settings; ``errors`` lists each problem as ``{"loc": [...], "msg": ...}``."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        text = "; ".join(f"{_loc(e['loc'])}: {e['msg']}" for e in errors)
        super().__init__(f"invalid settings: {text}")


def _loc(loc: list[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclasses.dataclass(frozen=True)
class Settings:
    """One playground setup: the data, the network and its training.

    Attributes:
        dataset: one of :data:`DATASETS`; it must belong to ``problem``.
        problem: ``"classification"`` (a logistic output, binary cross-entropy) or
            ``"regression"`` (a linear output, mean squared error).
        noise: noise in percent (0 to 50), the toy generators' ``noise=noise / 100``.
        ratio: percent of the points used for training (10 to 90); the rest is the test set.
        batch: mini-batch size (1 to 30).
        points: number of points generated (20 to 2000).
        features: the input features, a non-empty subset of :data:`FEATURES` (page order).
        layers: neurons of each hidden layer (0 to 6 layers of 1 to 8 neurons).
        activation: the hidden layers' activation, one of :data:`ACTIVATIONS`.
        lr: learning rate (1e-5 to 10).
        reg: regularization of the weights (not the biases): ``"none"``, ``"l1"`` (adds
            ``reg_rate * sum |w|`` to the loss) or ``"l2"`` (adds ``reg_rate / 2 * sum w^2``).
        reg_rate: its rate (0 to 10).
        optimizer: ``"sgd"``, ``"momentum"`` (SGD with momentum 0.9), ``"adam"`` or
            ``"rmsprop"``.
        dropout: dropout probability after each hidden layer (0 to 0.8).
        seed: seeds the data, the initial weights, the batches and dropout: a setup trains
            the same way every time.
    """

    dataset: str = "circle"
    problem: str = "classification"
    noise: int = 0
    ratio: int = 50
    batch: int = 10
    points: int = 500
    features: tuple[str, ...] = ("x1", "x2")
    layers: tuple[int, ...] = (4, 2)
    activation: str = "tanh"
    lr: float = 0.03
    reg: str = "none"
    reg_rate: float = 0.0
    optimizer: str = "sgd"
    dropout: float = 0.0
    seed: int = 1

    @property
    def n_train(self) -> int:
        """Training points: ``points * ratio / 100`` rounded down, at least 1."""
        return min(max(self.points * self.ratio // 100, 1), self.points - 1)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (lists for the tuples) that :func:`parse_settings` accepts."""
        d = dataclasses.asdict(self)
        d["features"] = list(self.features)
        d["layers"] = list(self.layers)
        return d


_CHOICES = {"dataset": DATASETS, "problem": PROBLEMS, "activation": ACTIVATIONS,
            "reg": REGULARIZATIONS, "optimizer": OPTIMIZERS}
_INTS = ("noise", "ratio", "batch", "points", "seed")
_FLOATS = ("lr", "reg_rate", "dropout")
_FIELDS = tuple(f.name for f in dataclasses.fields(Settings))


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return (_is_int(v) or isinstance(v, float)) and math.isfinite(v)


def _fmt(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_settings(data: Any, base: Settings | None = None) -> Settings:
    """Validate a JSON object of settings; missing keys keep ``base``'s (default) values.

    Args:
        data: a mapping from setting names to JSON values (ints for the integer settings,
            numbers for ``lr``, ``reg_rate`` and ``dropout``, strings for the choices, lists
            for ``features`` and ``layers``).
        base: the settings the missing keys come from (default: :class:`Settings()`). When
            only ``problem`` or only ``dataset`` is given and they disagree, the other follows
            (the problem's first data set, or the data set's problem).

    Returns:
        The validated :class:`Settings`.

    Raises:
        SettingsError: unknown keys, wrong types, out-of-bounds values or choices; every
            problem found is listed.
    """
    errors: list[dict[str, Any]] = []

    def err(loc: list[Any], msg: str, kind: str) -> None:
        errors.append({"loc": loc, "msg": msg, "type": kind})

    if not isinstance(data, Mapping):
        raise SettingsError([{"loc": [], "msg": f"must be a JSON object, got "
                              f"{type(data).__name__}", "type": "type_error"}])
    base = base if base is not None else Settings()
    values: dict[str, Any] = {}
    for key in data:
        if key not in _FIELDS:
            err([str(key)[:40]], "unknown setting", "extra_forbidden")
    for key, choices in _CHOICES.items():
        if key in data:
            v = data[key]
            if not isinstance(v, str) or v not in choices:
                err([key], f"must be one of {', '.join(choices)}, got {_fmt(v)}", "enum")
            else:
                values[key] = v
    for key in _INTS:
        if key in data:
            v, (lo, hi) = data[key], BOUNDS[key]
            if not _is_int(v) or not lo <= v <= hi:
                err([key], f"must be an integer from {lo} to {hi}, got {_fmt(v)}", "range")
            else:
                values[key] = int(v)
    for key in _FLOATS:
        if key in data:
            v, (flo, fhi) = data[key], BOUNDS[key]
            if not _is_number(v) or not flo <= v <= fhi:
                err([key], f"must be a number from {flo:g} to {fhi:g}, got {_fmt(v)}", "range")
            else:
                values[key] = float(v)
    if "features" in data:
        v = data["features"]
        if not isinstance(v, list) or not 1 <= len(v) <= len(FEATURES):
            err(["features"], f"must be a list of 1 to {len(FEATURES)} feature names, got "
                f"{_fmt(v)}", "type_error")
        else:
            ok = True
            for i, name in enumerate(v):
                if not isinstance(name, str) or name not in FEATURES:
                    err(["features", i], f"must be one of {', '.join(FEATURES)}, got "
                        f"{_fmt(name)}", "enum")
                    ok = False
            if ok and len(set(v)) != len(v):
                err(["features"], f"lists a feature twice: {_fmt(v)}", "value_error")
            elif ok:
                values["features"] = tuple(f for f in FEATURES if f in v)  # canonical order
    if "layers" in data:
        v = data["layers"]
        lo, hi = BOUNDS["layers"]
        nlo, nhi = BOUNDS["neurons"]
        if not isinstance(v, list) or not lo <= len(v) <= hi:
            err(["layers"], f"must be a list of {lo:g} to {hi:g} hidden layer sizes, got "
                f"{_fmt(v)}", "type_error")
        else:
            ok = True
            for i, n in enumerate(v):
                if not _is_int(n) or not nlo <= n <= nhi:
                    err(["layers", i], f"must be an integer from {nlo:g} to {nhi:g}, got "
                        f"{_fmt(n)}", "range")
                    ok = False
            if ok:
                values["layers"] = tuple(int(n) for n in v)
    if errors:
        raise SettingsError(errors)
    # keep the problem type and the data set consistent
    if "dataset" in values and "problem" not in values:
        values["problem"] = "classification" if values["dataset"] in CLASSIFICATION_DATASETS \
            else "regression"
    elif "problem" in values and "dataset" not in values:
        wanted = CLASSIFICATION_DATASETS if values["problem"] == "classification" \
            else REGRESSION_DATASETS
        if base.dataset not in wanted:
            values["dataset"] = wanted[0]
    settings = dataclasses.replace(base, **values)
    allowed = CLASSIFICATION_DATASETS if settings.problem == "classification" \
        else REGRESSION_DATASETS
    if settings.dataset not in allowed:
        raise SettingsError([{"loc": ["dataset"], "msg": f"{settings.dataset!r} is not a "
                              f"{settings.problem} data set (those are {', '.join(allowed)})",
                              "type": "value_error"}])
    return settings


def schema() -> dict[str, Any]:
    """The settings' choices, bounds and defaults, as served at ``/api/schema``."""
    return {
        "defaults": Settings().to_dict(),
        "choices": {**{k: list(v) for k, v in _CHOICES.items()}, "features": list(FEATURES),
                    "classification_datasets": list(CLASSIFICATION_DATASETS),
                    "regression_datasets": list(REGRESSION_DATASETS)},
        "bounds": {k: list(v) for k, v in BOUNDS.items()},
    }
