"""``lightgrad.keras``: the Keras 3 API (``Sequential``, layers, ``compile``/``fit``/``evaluate``/
``predict``, callbacks) as a thin skin over ``lightgrad.nn``: no second copy of any math.

Replace ``from tensorflow import keras`` (or ``import keras``) with ``from lightgrad import keras``.
"""

from . import activations, callbacks, initializers, layers, losses, metrics, models, optimizers
from . import regularizers, utils
from .summary import summary as _summary
from .layers import Input, KerasTensor, Layer
from .models import Model, Sequential

Model.summary = _summary  # type: ignore[attr-defined]

__all__ = ["Input", "KerasTensor", "Layer", "Model", "Sequential", "activations", "callbacks",
           "initializers", "layers", "losses", "metrics", "models", "optimizers",
           "regularizers", "utils"]
