"""``model.save("name.keras")``, ``keras.models.load_model``, ``save_weights``/``load_weights``.

A ``.keras`` file is a zip archive (written atomically) holding:

- ``metadata.json``: ``{"format": "lightgrad.keras", "format_version": 1,
  "lightgrad_version": ..., "date_saved": ...}``;
- ``config.json``: ``{"class_name", "config", "build_config", "compile_config"}``: the
  architecture (a ``Sequential``'s layer configs, or a functional model's layers and graph, see
  :mod:`~lightgrad.keras.saving.serialization`) and the ``compile`` arguments (optimizer, loss
  and metrics as names or ``{"class_name", "config"}``);
- ``model.weights.safetensors``: the weights, layer by layer (a :func:`lightgrad.save` file,
  i.e. a safetensors file any safetensors reader opens), as written by :func:`save_weights`;
- ``optimizer.safetensors`` (once the model has trained): the optimizer's state (its
  ``state_dict``: moments, step counts, learning rates) and ``iterations``.

Loading never executes code from the file: JSON is parsed as data, the weights are read by
:func:`lightgrad.load` (no pickle), and the only classes instantiated are lightgrad's registered
layers, losses, metrics and optimizers plus what the caller passes in ``custom_objects``.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import warnings
from collections import OrderedDict
from typing import IO, Any

import numpy as np

from ... import backend
from ... import io as lg_io
from ...autograd.grad_mode import no_grad
from ...io import LoadError
from ...tensor import Tensor
from . import archive, serialization

__all__ = ["save_model", "load_model", "save_weights", "load_weights", "model_from_json",
           "clone_model", "read_metadata", "FORMAT_VERSION"]

#: the version of the ``.keras`` layout written here (a newer one is refused on load)
FORMAT_VERSION = 1
_FORMAT = "lightgrad.keras"
_WEIGHTS_FORMAT = "lightgrad.keras.weights"
_WEIGHTS_MEMBER = "model.weights.safetensors"
_OPTIMIZER_MEMBER = "optimizer.safetensors"
_MAX_BUILD_ELEMENTS = 1 << 24

FileLike = str | os.PathLike | IO[bytes]


# ============================================================================ weights
def _layer_children(model: Any) -> list[tuple[str, Any]]:
    from ..layers.layer import Layer

    return [(name, m) for name, m in model.named_children() if isinstance(m, Layer)]


def _weights_payload(model: Any) -> dict:
    """The model's state (parameters and buffers), grouped by top-level layer."""
    children = _layer_children(model)
    prefixes = tuple(f"{name}." for name, _ in children)
    layers = [{"path": path, "name": layer.name, "class_name": type(layer).__name__,
               "weights": layer.state_dict()} for path, layer in children]
    own = OrderedDict((k, v) for k, v in model.state_dict().items()
                      if not k.startswith(prefixes))
    return {"format": _WEIGHTS_FORMAT, "version": FORMAT_VERSION, "layers": layers, "own": own}


def _weights_bytes(model: Any) -> bytes:
    buf = io.BytesIO()
    lg_io.save(_weights_payload(model), buf)
    return buf.getvalue()


def _check_weights_payload(payload: Any, err: Any) -> tuple[list[dict], dict]:
    if not isinstance(payload, dict) or payload.get("format") != _WEIGHTS_FORMAT:
        raise err("is not a lightgrad Keras weights file (no 'format': "
                  f"{_WEIGHTS_FORMAT!r}); for a plain state_dict use module.load_state_dict("
                  "lightgrad.load(path))")
    version = payload.get("version")
    if type(version) is not int or not 1 <= version <= FORMAT_VERSION:
        raise err(f"has weights format version {version!r}; this lightgrad reads version "
                  f"{FORMAT_VERSION} (was it written by a newer lightgrad?)")
    layers, own = payload.get("layers"), payload.get("own", {})
    if not isinstance(layers, list) or not isinstance(own, dict):
        raise err("has an invalid weights structure ('layers' must be a list, 'own' a dict)")
    for i, entry in enumerate(layers):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or \
                not isinstance(entry.get("path"), str) or \
                not isinstance(entry.get("class_name"), str) or \
                not isinstance(entry.get("weights"), dict):
            raise err(f"has an invalid entry for layer {i} (expected path, name, class_name, "
                      "weights)")
        for k, v in entry["weights"].items():
            if not isinstance(k, str) or not isinstance(v, Tensor):
                raise err(f"layer {entry['name']!r}: weight {k!r} is not a tensor")
    for k, v in own.items():
        if not isinstance(k, str) or not isinstance(v, Tensor):
            raise err(f"model weight {k!r} is not a tensor")
    return layers, own


def _plan_state(module: Any, saved: dict, label: str, skip_mismatch: bool) -> list | None:
    """The (target, array) copies that load ``saved`` into ``module`` (a state_dict), after
    checking names, shapes and dtypes; ``None`` when skipping a mismatch."""
    own = module.state_dict(keep_vars=True) if hasattr(module, "state_dict") else module
    problems = []
    missing = [k for k in own if k not in saved]
    unexpected = [k for k in saved if k not in own]
    if missing:
        problems.append(f"missing weights {missing}")
    if unexpected:
        problems.append(f"unexpected weights {unexpected}")
    plan = []
    for k, target in own.items():
        if k not in saved:
            continue
        src = saved[k]
        if tuple(src.shape) != tuple(target.shape):
            problems.append(f"{k}: the file has shape {tuple(src.shape)}, the model "
                            f"{tuple(target.shape)}")
        elif src.dtype != target.dtype:
            problems.append(f"{k}: the file has dtype {src.dtype}, the model {target.dtype}")
        else:
            plan.append((target, src))
    if problems:
        if skip_mismatch:
            warnings.warn(f"load_weights: skipping {label}: {'; '.join(problems)}",
                          stacklevel=3)
            return None
        raise ValueError(f"load_weights: {label} does not match the file: "
                         + "; ".join(problems))
    return plan


def _apply_weights(model: Any, payload: Any, err: Any, by_name: bool = False,
                   skip_mismatch: bool = False, strict_names: bool = False) -> None:
    """Load a weights payload into ``model``. Layers are matched by their place in the model
    (the attribute or graph name they are registered under) when those match, else by layer
    name when those match (or with ``by_name``), else by the order of the layers that hold
    weights (their classes must match). Everything is checked before anything is copied."""
    saved_layers, saved_own = _check_weights_payload(payload, err)
    children = _layer_children(model)
    if not getattr(model, "built", True) or (not children and not saved_own and saved_layers):
        raise ValueError(f"load_weights: model '{getattr(model, 'name', '?')}' is not built "
                         "yet: call it on data (or build it) before loading weights")
    paths = sorted(path for path, _ in children)
    names = sorted(layer.name for _, layer in children)
    saved_paths = sorted(e["path"] for e in saved_layers)
    saved_names = sorted(e["name"] for e in saved_layers)
    pairs: list[tuple[Any, dict, str]] = []
    if strict_names and paths != saved_paths:
        raise err(f"holds weights for the layers {saved_paths}, the model built from its "
                  f"config has {paths}")
    if not by_name and paths == saved_paths:
        at = dict(children)
        pairs = [(at[e["path"]], e["weights"], f"layer '{e['name']}'") for e in saved_layers]
    elif by_name or names == saved_names:
        by = {layer.name: layer for _, layer in children}
        pairs = [(by[e["name"]], e["weights"], f"layer '{e['name']}'") for e in saved_layers
                 if e["name"] in by]
    else:
        mine = [layer for _, layer in children if len(layer.state_dict())]
        theirs = [e for e in saved_layers if e["weights"]]
        if len(mine) != len(theirs):
            raise ValueError(
                f"load_weights: the file holds weights for {len(theirs)} layers "
                f"({[e['name'] for e in theirs]}), the model has {len(mine)} layers with "
                f"weights ({[layer.name for layer in mine]})")
        for i, (layer, e) in enumerate(zip(mine, theirs)):
            if type(layer).__name__ != e["class_name"]:
                raise ValueError(f"load_weights: layer '{layer.name}' is a "
                                 f"{type(layer).__name__} but the file's layer number {i} "
                                 f"('{e['name']}') is a {e['class_name']}")
            pairs.append((layer, e["weights"], f"layer '{layer.name}'"))
    plans = []
    for module, saved, label in pairs:
        plan = _plan_state(module, saved, label, skip_mismatch)
        if plan is not None:
            plans.append(plan)
    prefixes = tuple(f"{n}." for n, _ in _layer_children(model))
    own_state = OrderedDict((k, v) for k, v in model.state_dict(keep_vars=True).items()
                            if not k.startswith(prefixes))
    plan = _plan_state(own_state, saved_own, "the model's own weights", skip_mismatch)
    if plan is not None:
        plans.append(plan)
    with no_grad():
        for plan in plans:
            for target, src in plan:
                target.data[...] = backend.to_device(src.data, target.device)
                target._vc[0] += 1


def _check_suffix(path: Any, suffix: str, what: str) -> None:
    if isinstance(path, str | os.PathLike) and not os.fspath(path).endswith(suffix):
        raise ValueError(f"{what}: the filename must end in `{suffix}`, got "
                         f"{os.fspath(path)!r}")


def _check_overwrite(path: Any, overwrite: bool, what: str) -> None:
    if not overwrite and isinstance(path, str | os.PathLike) and os.path.exists(path):
        raise FileExistsError(f"{what}: {os.fspath(path)!r} exists and overwrite=False")


def save_weights(model: Any, filepath: FileLike, overwrite: bool = True) -> None:
    """Save the model's weights (parameters and buffers, e.g. BatchNorm statistics), layer by
    layer, to ``filepath`` (``*.weights.safetensors``, written atomically: a
    :func:`lightgrad.save` file, readable by any safetensors reader)."""
    _check_suffix(filepath, ".weights.safetensors", "save_weights")
    _check_overwrite(filepath, overwrite, "save_weights")
    lg_io.save(_weights_payload(model), filepath)


def load_weights(model: Any, filepath: FileLike, skip_mismatch: bool = False,
                 by_name: bool = False) -> None:
    """Load weights saved by :func:`save_weights` (or from a ``.keras`` file).

    Layers are matched by name when the file's layer names are the model's; otherwise by the
    order of the layers that hold weights (the Keras default; their classes must match), which
    loads into a fresh copy of the architecture whose automatic names differ. ``by_name=True``
    loads only the layers whose names match and ignores the others. A shape or dtype mismatch
    is an error, or with ``skip_mismatch=True`` a warning and that layer is left as it is.
    Everything is checked before anything is written: on error the model is unchanged.
    """
    name = os.fspath(filepath) if isinstance(filepath, str | os.PathLike) else \
        getattr(filepath, "name", f"<{type(filepath).__name__}>")

    def err(what: str) -> LoadError:
        return LoadError(f"load_weights: {name}: {what}")

    if isinstance(filepath, str | os.PathLike) and os.fspath(filepath).endswith(".keras"):
        members = archive.read_archive(filepath, "load_weights", required=(_WEIGHTS_MEMBER,))
        payload = _load_member(members[_WEIGHTS_MEMBER], err, _WEIGHTS_MEMBER)
    else:
        payload = lg_io.load(filepath, map_location="cpu")
    _apply_weights(model, payload, err, by_name=by_name, skip_mismatch=skip_mismatch)


def _load_member(data: bytes, err: Any, member: str) -> Any:
    try:
        return lg_io.load(io.BytesIO(data), map_location="cpu")
    except LoadError as e:
        raise err(f"member {member}: {str(e).split(': ', 2)[-1]}") from None


# ============================================================================ compile config
def _tables() -> tuple[dict, dict, dict]:
    from ... import nn
    from .. import losses, metrics, optimizers

    def classes(mod: Any, base: type) -> dict:
        return {n: getattr(mod, n) for n in dir(mod)
                if isinstance(getattr(mod, n), type) and issubclass(getattr(mod, n), base)
                and not n.startswith("_")}

    loss_table = classes(losses, losses.Loss)
    loss_table.update({n: c for n, c in classes(nn, nn.Module).items() if n.endswith("Loss")})
    for n, cls in getattr(losses, "_BY_NAME", {}).items():
        loss_table.setdefault(n, cls)
    opt_table = classes(optimizers, optimizers.Optimizer)
    for n, cls in getattr(optimizers, "_BY_NAME", {}).items():
        opt_table.setdefault(n, cls)
    metric_table = classes(metrics, metrics.Metric)
    return loss_table, metric_table, opt_table


def _compile_config(model: Any) -> dict | None:
    if not getattr(model, "compiled", False):
        return None
    metrics = []
    for m in getattr(model, "_metric_specs", []):
        metrics.append(serialization.serialize_keras_object(m))
    cfg = {"optimizer": serialization.serialize_keras_object(model.optimizer),
           "loss": serialization.serialize_keras_object(model.loss),
           "metrics": metrics,
           "loss_weights": getattr(model, "loss_weights", None)}
    if not serialization._jsonable(cfg):
        raise ValueError(f"save: model '{model.name}': the compile arguments cannot be written "
                         f"as JSON: {cfg!r}")
    return cfg


def _compile_from_config(model: Any, cfg: Any, custom: dict, err: Any) -> None:
    if not isinstance(cfg, dict):
        raise err("config.json: 'compile_config' must be an object")
    loss_table, metric_table, opt_table = _tables()
    try:
        opt = serialization.deserialize_keras_object(cfg.get("optimizer", "rmsprop"),
                                                     opt_table, "optimizer", custom)
        if isinstance(opt, type):
            opt = opt()
        loss = cfg.get("loss")
        if loss is not None:
            loss = serialization.deserialize_keras_object(loss, loss_table, "loss", custom)
            if isinstance(loss, type):
                loss = loss()
        metrics = cfg.get("metrics") or []
        if not isinstance(metrics, list):
            raise ValueError("'metrics' must be a list")
        resolved = []
        for m in metrics:
            if isinstance(m, str):
                resolved.append(custom.get(m, m))  # names are resolved by compile, as Keras
            else:
                obj = serialization.deserialize_keras_object(m, metric_table, "metric", custom)
                resolved.append(obj() if isinstance(obj, type) else obj)
        loss_weights = cfg.get("loss_weights")
        model.compile(optimizer=opt, loss=loss, metrics=resolved, loss_weights=loss_weights)
    except LoadError:
        raise
    except Exception as e:
        raise err(f"cannot compile the model from its compile_config ({type(e).__name__}: {e}); "
                  "pass custom_objects for custom losses/metrics/optimizers, or load with "
                  "compile=False") from e


def _optimizer_bytes(model: Any) -> bytes | None:
    opt = getattr(model, "optimizer", None)
    if opt is None or getattr(opt, "inner", None) is None:
        return None
    buf = io.BytesIO()
    lg_io.save({"format": "lightgrad.keras.optimizer", "version": FORMAT_VERSION,
                "class_name": type(opt).__name__, "iterations": int(opt.iterations),
                "state": opt.inner.state_dict()}, buf)
    return buf.getvalue()


def _restore_optimizer(model: Any, payload: Any, err: Any) -> None:
    if not isinstance(payload, dict) or payload.get("format") != "lightgrad.keras.optimizer":
        raise err(f"member {_OPTIMIZER_MEMBER} is not a lightgrad optimizer state")
    its, state = payload.get("iterations"), payload.get("state")
    if type(its) is not int or its < 0 or not isinstance(state, dict):
        raise err(f"member {_OPTIMIZER_MEMBER}: invalid 'iterations' or 'state'")
    opt = model.optimizer
    if payload.get("class_name") != type(opt).__name__:
        raise err(f"member {_OPTIMIZER_MEMBER} holds the state of a "
                  f"{payload.get('class_name')!r}, the compiled optimizer is a "
                  f"{type(opt).__name__}")
    groups = state.get("param_groups")
    if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
        raise err(f"member {_OPTIMIZER_MEMBER}: invalid param_groups")
    for g in groups:
        for k, v in g.items():
            if k != "params" and not isinstance(v, bool | int | float | str | tuple | list |
                                                type(None)):
                raise err(f"member {_OPTIMIZER_MEMBER}: hyperparameter {k!r} is a "
                          f"{type(v).__name__}")
            if k == "lr" and (isinstance(v, bool) or not isinstance(v, int | float)):
                raise err(f"member {_OPTIMIZER_MEMBER}: learning rate {v!r} is not a number")
    params = [p for p in model.parameters() if p.requires_grad]
    opt.build(params)
    inner_state = state.get("state", {})
    if isinstance(inner_state, dict):
        for pid, st in inner_state.items():
            if type(pid) is not int or not 0 <= pid < len(params) or not isinstance(st, dict):
                raise err(f"member {_OPTIMIZER_MEMBER}: invalid state entry {pid!r}")
            for k, v in st.items():
                if isinstance(v, Tensor) and v.ndim and tuple(v.shape) != \
                        tuple(params[pid].shape):
                    raise err(f"member {_OPTIMIZER_MEMBER}: state {k!r} of parameter {pid} has "
                              f"shape {tuple(v.shape)}, the parameter {tuple(params[pid].shape)}")
    try:
        opt.inner.load_state_dict(state)
    except (ValueError, TypeError, KeyError, RuntimeError) as e:
        opt.inner = None
        raise err(f"member {_OPTIMIZER_MEMBER} does not fit the model's optimizer: {e}") from e
    opt.iterations = its


# ============================================================================ save / load
def _model_config(model: Any) -> dict:
    from ..models import Model

    if not isinstance(model, Model):
        raise TypeError(f"save: expected a keras Model, got {type(model).__name__}")
    spec = serialization.serialize_layer(model)
    build = None
    shape = getattr(model, "_build_shape", None)
    if shape is not None and not getattr(model, "_functional", False):
        build = {"input_shape": _shape_json(shape)}
    return {"class_name": spec["class_name"], "config": spec["config"], "build_config": build,
            "compile_config": _compile_config(model)}


def _shape_json(shape: Any) -> Any:
    if isinstance(shape, list | tuple):
        return [_shape_json(s) for s in shape]
    return None if shape is None else int(shape)


def save_model(model: Any, filepath: FileLike, overwrite: bool = True,
               include_optimizer: bool = True, **kwargs: Any) -> None:
    """Save ``model`` as a ``.keras`` zip (architecture, compile arguments, weights, optimizer
    state), atomically: an interrupted save leaves any previous file intact.

    Args:
        model: a built keras ``Model`` or ``Sequential``.
        filepath: a path ending in ``.keras``, or a binary file object.
        overwrite: replace an existing file (else ``FileExistsError``).
        include_optimizer: also save the optimizer's state (to resume training exactly).

    Example:
        >>> import os, tempfile
        >>> from lightgrad import keras
        >>> model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
        >>> path = os.path.join(tempfile.mkdtemp(), "tiny.keras")
        >>> model.save(path)
        >>> keras.models.load_model(path).count_params()
        8
    """
    kwargs.pop("zipped", None)
    kwargs.pop("save_format", None)
    if kwargs:
        raise TypeError(f"save: unexpected keyword arguments {sorted(kwargs)}")
    _check_suffix(filepath, ".keras", "save (Invalid filepath extension for saving: add "
                                      "the `.keras` extension)")
    _check_overwrite(filepath, overwrite, "save")
    if not getattr(model, "built", False):
        raise ValueError(f"save: model '{model.name}' is not built yet: call it on data or pass "
                         "an input shape before saving")
    from ... import __version__

    config = _model_config(model)
    members = {
        "metadata.json": serialization.to_json({
            "format": _FORMAT, "format_version": FORMAT_VERSION,
            "lightgrad_version": __version__,
            "date_saved": datetime.datetime.now(datetime.timezone.utc).strftime(
                "%Y-%m-%d@%H:%M:%S")}).encode(),
        "config.json": serialization.to_json(config).encode(),
        _WEIGHTS_MEMBER: _weights_bytes(model),
    }
    if include_optimizer:
        opt = _optimizer_bytes(model)
        if opt is not None:
            members[_OPTIMIZER_MEMBER] = opt
    archive.write_archive(filepath, members, "save")


def _strict_json(data: bytes, member: str, err: Any) -> Any:
    def no_constant(c: str) -> Any:
        raise ValueError(f"the non-standard constant {c}")

    try:
        text = data.decode("utf-8")
        return json.loads(text, parse_constant=no_constant)
    except RecursionError:
        raise err(f"member {member} is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as e:
        raise err(f"member {member} is not valid JSON ({e})") from None


def _build_from_config(model: Any, build: Any, err: Any) -> None:
    if getattr(model, "built", False) or build is None:
        return
    if not isinstance(build, dict) or "input_shape" not in build:
        raise err("config.json: 'build_config' must be {'input_shape': [...]}")
    shape = build["input_shape"]
    if not isinstance(shape, list) or not shape or not all(
            s is None or (type(s) is int and s > 0) for s in shape):
        raise err(f"config.json: invalid build input_shape {shape!r}")
    dims = [1 if s is None else s for s in shape]
    if int(np.prod(dims)) > _MAX_BUILD_ELEMENTS:
        raise err(f"config.json: build input_shape {shape!r} is too large")
    with no_grad():
        was = model.training
        model.eval()
        try:
            model(np.zeros(dims, np.float32))
        finally:
            model.train(was)


def _refreeze(model: Any) -> None:
    """Re-apply each frozen layer's ``trainable=False`` to its weights: building a container
    re-enables the gradients of the ``nn`` modules inside frozen layers (reported upstream)."""
    from ..layers.layer import Layer

    for m in model.modules():
        if isinstance(m, Layer) and not m._trainable:
            m._apply_trainable()


def load_model(filepath: FileLike, custom_objects: dict | None = None, compile: bool = True,
               safe_mode: bool = True) -> Any:
    """Load a model saved by ``model.save("name.keras")``.

    Nothing in the file is executed: the architecture is JSON, the weights safetensors. Classes
    are instantiated only from lightgrad's registry of layers/losses/metrics/optimizers and from
    ``custom_objects`` (a dict name -> class or function, e.g. ``{"MyLayer": MyLayer,
    "my_activation": fn}``).

    Args:
        filepath: a ``.keras`` file (path or binary file object).
        custom_objects: the caller's classes and functions, looked up by the names the file
            records (a custom layer's class name, a function's ``__name__``, or for a ``Lambda``
            layer its function's name or the layer's name).
        compile: compile the model with the saved optimizer, loss and metrics and restore the
            optimizer's state, so that ``fit`` resumes exactly; ``False`` loads the architecture
            and weights only.
        safe_mode: accepted for Keras compatibility. In Keras it refuses to unpickle a
            ``Lambda``'s bytecode. lightgrad never writes code into a file, so loading is always
            as safe as Keras's ``safe_mode=True``: a ``Lambda`` layer loads only when its
            function is passed in ``custom_objects``, whatever ``safe_mode`` says;
            ``safe_mode=False`` loads nothing more (it only changes the error message).

    Raises:
        FileNotFoundError: no such file.
        LoadError: (a ``ValueError``) not a ``.keras`` zip, an unsafe or oversized member, a
            missing member, corrupt JSON or weights, a newer format version, weights that do
            not fit the architecture.
        ValueError: an unknown class (pass it in ``custom_objects``), a ``Lambda`` without its
            function, or a config that lightgrad's layers reject.
    """
    if not isinstance(safe_mode, bool):
        raise TypeError(f"load_model: safe_mode must be a bool, got {type(safe_mode).__name__}")
    if custom_objects is not None and not isinstance(custom_objects, dict):
        raise TypeError(f"load_model: custom_objects must be a dict, got "
                        f"{type(custom_objects).__name__}")
    name = os.fspath(filepath) if isinstance(filepath, str | os.PathLike) else \
        getattr(filepath, "name", f"<{type(filepath).__name__}>")

    def err(what: str) -> LoadError:
        return LoadError(f"load_model: {name}: {what}")

    members = archive.read_archive(filepath, "load_model",
                                   required=("metadata.json", "config.json", _WEIGHTS_MEMBER))
    meta = _strict_json(members["metadata.json"], "metadata.json", err)
    if not isinstance(meta, dict) or meta.get("format") != _FORMAT:
        raise err("metadata.json does not describe a lightgrad .keras file (no 'format': "
                  f"{_FORMAT!r})")
    version = meta.get("format_version")
    if type(version) is not int or version < 1:
        raise err(f"metadata.json: invalid format_version {version!r}")
    if version > FORMAT_VERSION:
        raise err(f"was written in .keras format version {version} by lightgrad "
                  f"{meta.get('lightgrad_version')!r}; this lightgrad reads version "
                  f"{FORMAT_VERSION}: upgrade lightgrad")
    config = _strict_json(members["config.json"], "config.json", err)
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str) or \
            not isinstance(config.get("config"), dict):
        raise err("config.json must be an object with 'class_name' (a string) and 'config' "
                  "(an object)")
    weights = _load_member(members[_WEIGHTS_MEMBER], err, _WEIGHTS_MEMBER)
    custom = dict(custom_objects or {})
    token = serialization._SAFE_MODE.set(safe_mode)
    try:
        model = serialization.deserialize_layer(
            {"class_name": config["class_name"], "config": config["config"]}, custom)
    except ValueError as e:
        if isinstance(e, LoadError):
            raise
        raise type(e)(f"load_model: {name}: {e}") from e.__cause__
    finally:
        serialization._SAFE_MODE.reset(token)
    from ..models import Model

    if not isinstance(model, Model):
        raise err(f"config.json describes a {type(model).__name__}, not a Model")
    _build_from_config(model, config.get("build_config"), err)
    _refreeze(model)
    try:
        _apply_weights(model, weights, err, strict_names=True)
    except LoadError:
        raise
    except ValueError as e:
        raise err(f"the weights do not fit the architecture in config.json: "
                  f"{str(e).removeprefix('load_weights: ')}") from None
    compile_cfg = config.get("compile_config")
    if compile and compile_cfg is not None:
        _compile_from_config(model, compile_cfg, custom, err)
        if _OPTIMIZER_MEMBER in members:
            payload = _load_member(members[_OPTIMIZER_MEMBER], err, _OPTIMIZER_MEMBER)
            _restore_optimizer(model, payload, err)
    model.eval()
    return model


def read_metadata(filepath: FileLike) -> dict:
    """The ``metadata.json`` of a ``.keras`` file (format, versions, date saved), without
    loading the model; the archive is checked as by :func:`load_model`."""
    name = os.fspath(filepath) if isinstance(filepath, str | os.PathLike) else \
        getattr(filepath, "name", f"<{type(filepath).__name__}>")

    def err(what: str) -> LoadError:
        return LoadError(f"read_metadata: {name}: {what}")

    members = archive.read_archive(filepath, "read_metadata", required=("metadata.json",),
                                   only=("metadata.json",))
    meta = _strict_json(members["metadata.json"], "metadata.json", err)
    if not isinstance(meta, dict):
        raise err("metadata.json is not a JSON object")
    return meta


# ============================================================================ json / clone
def model_to_json(model: Any, **kwargs: Any) -> str:
    """The architecture as a JSON string (``{"class_name", "config"}``; no weights)."""
    spec = serialization.serialize_layer(model)
    return json.dumps(spec, allow_nan=False, **kwargs)


def model_from_json(json_string: str, custom_objects: dict | None = None) -> Any:
    """A new model (fresh weights) from :func:`model_to_json`'s string."""
    try:
        spec = json.loads(json_string)
    except (ValueError, RecursionError) as e:
        raise ValueError(f"model_from_json: not valid JSON ({e})") from None
    return serialization.deserialize_layer(spec, custom_objects)


def clone_model(model: Any, custom_objects: dict | None = None) -> Any:
    """A new model with the same architecture (and layer names) and freshly initialized
    weights, as ``keras.models.clone_model``; it is not compiled."""
    return serialization.deserialize_layer(serialization.serialize_layer(model), custom_objects)


# ============================================================================ Model methods
def _save(self: Any, filepath: FileLike, overwrite: bool = True, **kwargs: Any) -> None:
    """Save the model to a ``.keras`` file: see :func:`lightgrad.keras.saving.save_model`."""
    save_model(self, filepath, overwrite=overwrite, **kwargs)


def _save_weights(self: Any, filepath: FileLike, overwrite: bool = True) -> None:
    """Save the weights to ``*.weights.safetensors``: see
    :func:`lightgrad.keras.saving.save_weights`."""
    save_weights(self, filepath, overwrite=overwrite)


def _load_weights(self: Any, filepath: FileLike, skip_mismatch: bool = False,
                  by_name: bool = False) -> None:
    """Load weights from ``*.weights.safetensors`` or ``.keras``: see
    :func:`lightgrad.keras.saving.load_weights`."""
    load_weights(self, filepath, skip_mismatch=skip_mismatch, by_name=by_name)


def _to_json(self: Any, **kwargs: Any) -> str:
    """The architecture as JSON (``keras.models.model_from_json`` rebuilds it)."""
    return model_to_json(self, **kwargs)


def attach(model_cls: type) -> None:
    """Give ``keras.Model`` its ``save``, ``save_weights``, ``load_weights`` and ``to_json``."""
    model_cls.save = _save  # type: ignore[attr-defined]
    model_cls.save_weights = _save_weights  # type: ignore[attr-defined]
    model_cls.load_weights = _load_weights  # type: ignore[attr-defined]
    model_cls.to_json = _to_json  # type: ignore[attr-defined]
