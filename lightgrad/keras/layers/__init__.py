"""Keras layers (``keras.layers``), a skin over ``lightgrad.nn``."""

from .core import *  # noqa: F403
from .layer import KerasTensor, Layer
