"""Keras models: ``Model`` (functional and subclassed), ``Sequential``, saving/loading."""

from .model import Model
from .sequential import Sequential

__all__ = ["Model", "Sequential"]
