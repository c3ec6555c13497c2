"""Layer and model configs as JSON-able dicts, and back (no code is ever loaded by name outside
the registry of lightgrad's own layers and the caller's ``custom_objects``)."""

from __future__ import annotations

from typing import Any


def _registry() -> dict[str, Any]:
    from .. import layers as layers_mod
    from ..models import Model, Sequential

    reg = {name: getattr(layers_mod, name) for name in dir(layers_mod)
           if isinstance(getattr(layers_mod, name), type)}
    reg.update({"Sequential": Sequential, "Model": Model, "Functional": Model})
    return reg


def serialize_layer(layer: Any) -> dict:
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize_layer(spec: dict, custom_objects: dict | None = None) -> Any:
    name = spec["class_name"]
    reg = _registry()
    if custom_objects and name in custom_objects:
        cls = custom_objects[name]
    elif name in reg:
        cls = reg[name]
    else:
        raise ValueError(f"Unknown layer class {name!r}: pass it in custom_objects={{'{name}': "
                         "...}} (lightgrad never imports classes named in a file)")
    if hasattr(cls, "from_config"):
        try:
            return cls.from_config(spec["config"], custom_objects=custom_objects)
        except TypeError:
            return cls.from_config(spec["config"])
    return cls(**spec["config"])


def functional_config(model: Any) -> dict:
    """The graph of a functional model: its layers and, for each call, the inbound tensors."""
    raise NotImplementedError("functional model configs arrive with keras saving")
