"""Optimizers (``torch.optim``) and learning-rate schedulers."""

from . import lr_scheduler
