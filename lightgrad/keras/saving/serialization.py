"""Layer and model configs as JSON-able dicts, and back.

Nothing is ever imported or looked up by a name read from a file outside two tables: lightgrad's
own registered layer classes (:func:`registry`) and the caller's ``custom_objects``. A config is
data: class names, constructor arguments (numbers, strings, lists, dicts) and, for functional
models, the graph of layer calls.

Functional models use Keras 3's layout::

    {"name": ..., "trainable": ...,
     "layers": [{"class_name": "Dense", "config": {...}, "name": "dense",
                 "inbound_nodes": [{"args": [<tensor ref>], "kwargs": {}}]}, ...],
     "input_layers": <ref or list of refs>, "output_layers": <ref or list of refs>}

where a tensor ref inside ``args`` is ``{"class_name": "__keras_tensor__", "config": {"shape":
[...], "dtype": "float32", "keras_history": [layer_name, node_index, tensor_index]}}`` and the
model's inputs and outputs are bare ``[layer_name, node_index, tensor_index]`` triples.
"""

from __future__ import annotations

import contextvars
import inspect
import json
import math
from collections import defaultdict
from typing import Any

from ...io import LoadError

__all__ = ["ConfigError", "registry", "serialize_layer", "deserialize_layer", "functional_config",
           "functional_from_config", "serialize_keras_object", "deserialize_keras_object"]

#: whether the load in progress runs in Keras's ``safe_mode`` (see ``load_model``)
_SAFE_MODE: contextvars.ContextVar[bool] = contextvars.ContextVar("lightgrad_keras_safe_mode",
                                                                  default=True)
_TENSOR_TAG = "__keras_tensor__"
#: config keys never replaced by a custom object of the same name
_PLAIN_KEYS = frozenset({"name", "dtype", "trainable", "batch_shape", "input_shape"})
_MAX_NODES = 100_000


class ConfigError(ValueError):
    """A config that cannot be turned back into a layer or model (unknown class, invalid
    structure, missing custom object)."""


def registry() -> dict[str, type]:
    """lightgrad's own Keras layer and model classes by name: the only classes a file may name
    (besides the caller's ``custom_objects``)."""
    from .. import layers as layers_mod
    from ..layers.layer import Layer
    from ..models import Model, Sequential

    reg = {}
    for name in dir(layers_mod):
        obj = getattr(layers_mod, name)
        if isinstance(obj, type) and issubclass(obj, Layer) and not name.startswith("_"):
            reg[name] = obj
    reg.update({"Sequential": Sequential, "Model": Model, "Functional": Model})
    return reg


# ============================================================================ generic objects
def _jsonable(value: Any) -> bool:
    if value is None or isinstance(value, bool | int | str):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list | tuple):
        return all(_jsonable(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _jsonable(v) for k, v in value.items())
    return False


def serialize_keras_object(obj: Any) -> Any:
    """A JSON-able description of a loss, metric, optimizer, initializer... object:
    ``"name"`` strings stay strings, objects become ``{"class_name", "config"}`` with their
    ``get_config()`` completed by their public JSON-able attributes that the constructor
    accepts (so e.g. ``from_logits`` survives), functions become their ``__name__``."""
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, type):
        return {"class_name": obj.__name__, "config": {}}
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return obj.__name__
    cfg: dict[str, Any] = {}
    get_config = getattr(obj, "get_config", None)
    if callable(get_config):
        try:
            cfg = dict(get_config())
        except NotImplementedError:
            cfg = {}
    accepted = _init_params(type(obj))
    for k, v in vars(obj).items() if hasattr(obj, "__dict__") else ():
        if not k.startswith("_") and k not in cfg and _jsonable(v) and \
                (accepted is None or k in accepted):
            cfg[k] = list(v) if isinstance(v, tuple) else v
    cfg = {k: v for k, v in cfg.items() if _jsonable(v)}
    return {"class_name": type(obj).__name__, "config": cfg}


def _init_params(cls: type) -> set[str] | None:
    """The keyword names ``cls(...)`` accepts (through ``**kwargs`` to the bases), or ``None``
    when that cannot be told."""
    names: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            params = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            return None
        var_kw = False
        for p in params:
            if p.kind is p.VAR_KEYWORD:
                var_kw = True
            elif p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self":
                names.add(p.name)
        if not var_kw:
            return names
    return names


def deserialize_keras_object(spec: Any, table: dict[str, Any], kind: str,
                             custom_objects: dict | None = None) -> Any:
    """Rebuild an object described by :func:`serialize_keras_object` from ``table`` (lightgrad's
    classes of that kind, by name) or ``custom_objects``. Unknown config keys that the class
    does not accept are dropped; a name found nowhere is an error."""
    custom = custom_objects or {}
    if isinstance(spec, str):
        if spec in custom:
            return custom[spec]
        if spec in table:
            return table[spec]
        raise ValueError(f"unknown {kind} {spec!r}: pass it in custom_objects={{{spec!r}: ...}}")
    if not isinstance(spec, dict) or not isinstance(spec.get("class_name"), str) or \
            not isinstance(spec.get("config", {}), dict):
        raise ValueError(f"invalid {kind} description {spec!r}: expected a name or "
                         "{'class_name': str, 'config': dict}")
    name = spec["class_name"]
    cls = custom.get(name) or table.get(name)
    if cls is None:
        raise ValueError(f"unknown {kind} class {name!r}: pass it in custom_objects="
                         f"{{{name!r}: ...}} (lightgrad never imports classes named in a file)")
    config = dict(spec.get("config", {}))
    if not isinstance(cls, type):
        return cls
    accepted = _init_params(cls)
    if accepted is not None:
        config = {k: v for k, v in config.items() if k in accepted}
    from_config = getattr(cls, "from_config", None)
    if from_config is not None and "from_config" in _own_attrs(cls):
        return from_config(config)
    return cls(**config)


def _own_attrs(cls: type) -> set[str]:
    """Attribute names defined by ``cls`` or a base other than ``object``."""
    out: set[str] = set()
    for klass in cls.__mro__[:-1]:
        out.update(klass.__dict__)
    return out


# ============================================================================ layers
def serialize_layer(layer: Any) -> dict:
    """``{"class_name": ..., "config": layer.get_config()}``; the config must be JSON-able."""
    cfg = layer.get_config()
    if not _jsonable(cfg):
        bad = [k for k, v in cfg.items() if not _jsonable(v)] if isinstance(cfg, dict) else []
        raise ValueError(f"{type(layer).__name__} '{getattr(layer, 'name', '?')}': get_config() "
                         f"is not JSON-serializable (keys {bad}); a layer's config may hold "
                         "only numbers, strings, booleans, None, lists and dicts")
    return {"class_name": type(layer).__name__, "config": cfg}


def _check_spec(spec: Any, where: str) -> tuple[str, dict]:
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: a layer description must be a JSON object, got "
                         f"{type(spec).__name__}")
    name, config = spec.get("class_name"), spec.get("config")
    if not isinstance(name, str):
        raise ConfigError(f"{where}: 'class_name' must be a string, got {name!r}")
    if not isinstance(config, dict):
        raise ConfigError(f"{where}: the config of {name} must be a JSON object, got "
                         f"{type(config).__name__}")
    return name, config


def _substitute_custom(config: dict, custom: dict) -> dict:
    """Config values naming a custom object (an activation, initializer... passed by the caller)
    replaced by that object, as Keras's custom-object scope does."""
    out = dict(config)
    for k, v in config.items():
        if k in _PLAIN_KEYS:
            continue
        if isinstance(v, str) and v in custom:
            out[k] = custom[v]
        elif isinstance(v, dict) and isinstance(v.get("class_name"), str) and \
                v["class_name"] in custom:
            out[k] = deserialize_keras_object(v, {}, k, custom)
    return out


def _lambda_config(config: dict, custom: dict) -> dict:
    layer_name = config.get("name")
    fn_name = config.get("function")
    fn = None
    if callable(fn_name):  # already replaced from custom_objects by its name
        fn, fn_name = fn_name, getattr(fn_name, "__name__", "?")
    elif isinstance(layer_name, str) and layer_name in custom:
        fn = custom[layer_name]
    elif isinstance(fn_name, str) and fn_name in custom:
        fn = custom[fn_name]
    if fn is None or not callable(fn):
        mode = ("safe_mode=True" if _SAFE_MODE.get() else
                "even with safe_mode=False: lightgrad never stores a function's code in a "
                "file, so there is nothing to restore it from")
        raise ConfigError(
            f"Lambda layer {layer_name!r} (function {fn_name!r}) cannot be loaded ({mode}): "
            f"pass the function in custom_objects={{{fn_name!r}: fn}} (or under the layer's "
            f"name, {layer_name!r})")
    out = dict(config)
    out["function"] = fn
    return out


def deserialize_layer(spec: dict, custom_objects: dict | None = None) -> Any:
    """The layer (or model) described by ``{"class_name", "config"}``.

    The class comes from ``custom_objects`` or from lightgrad's registry, never from an import;
    a ``Lambda`` needs its function in ``custom_objects``.

    Raises:
        ValueError: an unknown class, an invalid description, or a config the class rejects
            (the message names the class and the layer).
    """
    name, config = _check_spec(spec, "deserialize_layer")
    custom = dict(custom_objects or {})
    reg = registry()
    if name in custom:
        cls = custom[name]
    elif name in reg:
        cls = reg[name]
    else:
        raise ConfigError(f"Unknown layer class {name!r}: pass it in custom_objects="
                          f"{{{name!r}: ...}} (lightgrad never imports classes named in a file)")
    if not isinstance(cls, type):
        raise ConfigError(f"custom_objects[{name!r}] must be a class, got {type(cls).__name__}")
    from ..layers.reshaping import Lambda
    from ..models import Model, Sequential

    config = _substitute_custom(config, custom)
    if cls is Lambda or (isinstance(cls, type) and issubclass(cls, Lambda)):
        config = _lambda_config(config, custom)
    label = f"{name} {config.get('name')!r}" if isinstance(config.get("name"), str) else name
    try:
        if issubclass(cls, Model) and not issubclass(cls, Sequential) and \
                "input_layers" in config and "from_config" not in _own_attrs_below(cls, Model):
            return functional_from_config(cls, config, custom)
        from_config = cls.from_config  # type: ignore[attr-defined]
        if "custom_objects" in inspect.signature(from_config).parameters:
            return from_config(config, custom_objects=custom)
        return from_config(config)
    except (LoadError, ConfigError):
        raise
    except RecursionError:
        raise ConfigError(f"{label}: the config is nested too deeply") from None
    except Exception as e:  # a config the class rejects: report which layer, keep the cause
        raise ConfigError(f"cannot rebuild layer {label} from its config: "
                         f"{type(e).__name__}: {e}") from e


def _own_attrs_below(cls: type, base: type) -> set[str]:
    """Names defined by ``cls`` and its bases strictly below ``base``."""
    out: set[str] = set()
    for klass in cls.__mro__:
        if klass is base:
            break
        out.update(klass.__dict__)
    return out


# ============================================================================ functional graphs
def functional_config(model: Any) -> dict:
    """The graph of a functional model: its layers and, for each call, the inbound tensors."""
    from ..layers.layer import KerasTensor, _flatten

    refs: dict[int, list] = {}
    for t in _flatten(model._inputs_struct):
        layer = getattr(t, "input_layer", None)
        if layer is None:
            raise ValueError(f"Model '{model.name}': input {t} has no InputLayer")
        refs[id(t)] = [layer.name, 0, 0]
    calls: dict[tuple[int, int], list] = {}  # (id(layer), id(inputs)) -> [node index, outputs]
    counts: defaultdict[str, int] = defaultdict(int)
    inbound: defaultdict[str, list] = defaultdict(list)
    for t in model._nodes:
        key = (id(t.layer), id(t.inputs))
        if key not in calls:
            index = counts[t.layer.name]
            counts[t.layer.name] += 1
            calls[key] = [index, []]
            inbound[t.layer.name].append((t.inputs, t.kwargs))
        entry = calls[key]
        tensor_index = getattr(t, "index", None)
        if tensor_index is None:  # the position among the call's outputs (as _run_graph does)
            tensor_index = len(entry[1])
        entry[1].append(t)
        refs[id(t)] = [t.layer.name, entry[0], int(tensor_index)]

    def encode(x: Any, where: str) -> Any:
        if isinstance(x, KerasTensor):
            if id(x) not in refs:
                raise ValueError(f"Model '{model.name}': {where} uses a tensor {x} that is not "
                                 "in the model's graph")
            return {"class_name": _TENSOR_TAG,
                    "config": {"shape": list(x.shape), "dtype": str(x.dtype),
                               "keras_history": refs[id(x)]}}
        if isinstance(x, list | tuple):
            return [encode(v, where) for v in x]
        if isinstance(x, dict):
            return {str(k): encode(v, where) for k, v in x.items()}
        if not _jsonable(x):
            raise ValueError(f"Model '{model.name}': {where} passes {x!r} "
                             f"({type(x).__name__}), which cannot be saved in a config")
        return x

    layers = []
    for layer in model._graph_layers:
        spec = serialize_layer(layer)
        spec["name"] = layer.name
        spec["inbound_nodes"] = [
            {"args": [encode(inputs, f"layer '{layer.name}'")],
             "kwargs": encode(dict(kwargs), f"layer '{layer.name}' (keyword arguments)")}
            for inputs, kwargs in inbound.get(layer.name, [])]
        layers.append(spec)

    def struct(x: Any) -> Any:
        if isinstance(x, list | tuple):
            return [struct(v) for v in x]
        return list(refs[id(x)])

    return {"layers": layers, "input_layers": struct(model._inputs_struct),
            "output_layers": struct(model._outputs_struct)}


def _is_ref(x: Any) -> bool:
    return (isinstance(x, list) and len(x) == 3 and isinstance(x[0], str)
            and type(x[1]) is int and type(x[2]) is int)


def functional_from_config(cls: Any, config: dict, custom_objects: dict | None = None) -> Any:
    """Rebuild a functional model from :func:`functional_config` (plus ``name``/``trainable``):
    every layer from its config, then the layer calls replayed on symbolic tensors."""
    from ..layers.core import InputLayer
    from ..layers.layer import _flatten

    def bad(what: str) -> ConfigError:
        return ConfigError(f"functional model {config.get('name')!r}: {what}")

    specs = config.get("layers")
    if not isinstance(specs, list) or not specs:
        raise bad("'layers' must be a non-empty list")
    layers: dict[str, Any] = {}
    nodes: dict[str, list] = {}
    order: list[str] = []
    total = 0
    for i, spec in enumerate(specs):
        _check_spec(spec, f"layers[{i}]")
        inbound = spec.get("inbound_nodes", [])
        if not isinstance(inbound, list):
            raise bad(f"layers[{i}]: 'inbound_nodes' must be a list")
        total += len(inbound)
        if total > _MAX_NODES:
            raise bad(f"more than {_MAX_NODES} layer calls")
        layer = deserialize_layer(spec, custom_objects)
        name = spec.get("name", layer.name)
        if not isinstance(name, str) or name != layer.name:
            raise bad(f"layers[{i}] is named {name!r} but its config names it {layer.name!r}")
        if name in layers:
            raise bad(f"two layers are named {name!r}")
        layers[name] = layer
        nodes[name] = inbound
        order.append(name)
    created: dict[tuple[str, int], list] = {}
    for name, layer in layers.items():
        if isinstance(layer, InputLayer):
            if nodes[name]:
                raise bad(f"input layer {name!r} has inbound nodes")
            created[(name, 0)] = [layer.output]

    class _NotYet(Exception):
        pass

    def resolve(ref: Any, where: str) -> Any:
        if not _is_ref(ref):
            raise bad(f"{where}: invalid tensor reference {ref!r} (expected [layer_name, "
                      "node_index, tensor_index])")
        lname, ni, ti = ref
        if lname not in layers:
            raise bad(f"{where}: refers to an unknown layer {lname!r}")
        count = 1 if isinstance(layers[lname], InputLayer) else len(nodes[lname])
        if not 0 <= ni < count:
            raise bad(f"{where}: layer {lname!r} has no call number {ni}")
        if (lname, ni) not in created:
            raise _NotYet
        outs = created[(lname, ni)]
        if not 0 <= ti < len(outs):
            raise bad(f"{where}: call {ni} of layer {lname!r} has no output {ti}")
        return outs[ti]

    def decode(x: Any, where: str, depth: int = 0) -> Any:
        if depth > 32:
            raise bad(f"{where}: arguments nested too deeply")
        if isinstance(x, dict):
            if x.get("class_name") == _TENSOR_TAG:
                cfg = x.get("config")
                if not isinstance(cfg, dict):
                    raise bad(f"{where}: a tensor reference without a config")
                return resolve(cfg.get("keras_history"), where)
            return {k: decode(v, where, depth + 1) for k, v in x.items()}
        if isinstance(x, list):
            return [decode(v, where, depth + 1) for v in x]
        return x

    done = {name: 0 for name in order}
    while True:
        progressed = False
        pending = False
        for name in order:
            inbound = nodes[name]
            while done[name] < len(inbound):
                i = done[name]
                node = inbound[i]
                where = f"layer {name!r} call {i}"
                if not isinstance(node, dict) or not isinstance(node.get("args", []), list) or \
                        not isinstance(node.get("kwargs", {}), dict) or not node.get("args"):
                    raise bad(f"{where}: a call must be {{'args': [inputs, ...], "
                              "'kwargs': {...}}")
                try:
                    args = decode(node["args"], where)
                    kwargs = decode(node.get("kwargs", {}), where)
                except _NotYet:
                    pending = True
                    break
                try:
                    out = layers[name](*args, **kwargs)
                except Exception as e:
                    raise bad(f"{where}: calling the layer failed: {type(e).__name__}: "
                              f"{e}") from e
                created[(name, i)] = _flatten(out)
                done[name] = i + 1
                progressed = True
        if not pending:
            break
        if not progressed:
            stuck = [f"{n} call {done[n]}" for n in order if done[n] < len(nodes[n])]
            raise bad(f"the layer graph cannot be completed (a cycle, or a reference to a call "
                      f"that never happens): stuck at {', '.join(stuck[:5])}")

    def outputs(x: Any, what: str) -> Any:
        if _is_ref(x):
            try:
                return resolve(x, what)
            except _NotYet:
                raise bad(f"{what}: refers to a layer call that never happens") from None
        if isinstance(x, list) and x:
            return [outputs(v, what) for v in x]
        raise bad(f"'{what}' must be a tensor reference or a list of them, got {x!r}")

    inputs = outputs(config.get("input_layers"), "input_layers")
    outs = outputs(config.get("output_layers"), "output_layers")
    name = config.get("name")
    trainable = config.get("trainable", True)
    if name is not None and not isinstance(name, str):
        raise bad("'name' must be a string")
    if not isinstance(trainable, bool):
        raise bad("'trainable' must be a boolean")
    model = cls(inputs=inputs, outputs=outs, name=name, trainable=trainable)
    for lname, layer in layers.items():
        if not isinstance(layer, InputLayer) and all(layer is not m for m in model.layers):
            raise bad(f"layer {lname!r} is not connected to the outputs")
    return model


def to_json(obj: Any) -> str:
    """Strict JSON (no NaN/Infinity), as written into ``config.json``."""
    return json.dumps(obj, allow_nan=False, indent=None, separators=(",", ":"))
