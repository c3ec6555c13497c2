"""Keras model saving (``keras.saving``): ``.keras`` zips of JSON config + safetensors weights.

``model.save("name.keras")`` / :func:`load_model`, ``model.save_weights(
"name.weights.safetensors")`` / ``model.load_weights(...)``. Loading never executes code from
a file: see :mod:`lightgrad.keras.saving.api`.
"""

from .api import (
    FORMAT_VERSION,
    clone_model,
    load_model,
    load_weights,
    model_from_json,
    read_metadata,
    save_model,
    save_weights,
)
from .serialization import deserialize_keras_object, serialize_keras_object

__all__ = ["FORMAT_VERSION", "clone_model", "deserialize_keras_object", "load_model",
           "load_weights", "model_from_json", "read_metadata", "save_model", "save_weights",
           "serialize_keras_object"]
