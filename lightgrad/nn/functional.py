"""``torch.nn.functional``: activations and softmax re-exported from the ops (no math here)."""

from ..ops.activation import *  # noqa: F403
from ..ops.activation import __all__ as _act_all
from ..ops.movement import pad

__all__ = [*_act_all, "pad"]
