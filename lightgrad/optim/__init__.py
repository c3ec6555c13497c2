"""Optimizers (``torch.optim``) and learning-rate schedulers.

``SGD``, ``Adam``, ``AdamW``, ``Adamax``, ``NAdam``, ``RMSprop``, ``Adagrad`` and ``Adadelta``
share the :class:`Optimizer` base (parameter groups, per-parameter state, ``zero_grad``,
``state_dict``). L1/L2 regularization recipes live in :mod:`lightgrad.optim.regularization`
(``l1_penalty``, ``l2_penalty``); ``weight_decay=`` is the L2 penalty.
"""

from . import lr_scheduler, regularization
from .adagrad import Adadelta, Adagrad
from .adam import Adam, Adamax, AdamW, NAdam
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "NAdam", "Optimizer", "RMSprop",
           "SGD", "lr_scheduler", "regularization"]
