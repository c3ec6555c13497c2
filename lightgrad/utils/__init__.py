"""Utilities: ``utils.data`` (datasets, samplers, DataLoader)."""

from . import data
