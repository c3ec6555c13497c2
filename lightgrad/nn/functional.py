"""``torch.nn.functional``: activations, softmax, linear and pad, re-exported from the ops."""

from ..ops.activation import *  # noqa: F403
from ..ops.activation import __all__ as _act_all
from ..ops.linalg import linear
from ..ops.movement import pad

__all__ = [*_act_all, "linear", "pad"]
