"""Keras models: ``Model`` (functional and subclassed), ``Sequential``, saving/loading."""

from ..saving import api as _saving_api
from ..saving.api import clone_model, load_model, model_from_json, save_model
from .model import Model
from .sequential import Sequential

_saving_api.attach(Model)

__all__ = ["Model", "Sequential", "clone_model", "load_model", "model_from_json", "save_model"]
