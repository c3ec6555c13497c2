"""``torch.nn.functional``: the functional forms of layers and losses, re-exported from the
ops (no math lives here)."""

from ..ops.activation import *  # noqa: F403
from ..ops.activation import __all__ as _act_all
from ..ops.dropout import *  # noqa: F403
from ..ops.dropout import __all__ as _drop_all
from ..ops.embedding import *  # noqa: F403
from ..ops.embedding import __all__ as _emb_all
from ..ops.linalg import linear
from ..ops.loss import *  # noqa: F403
from ..ops.loss import __all__ as _loss_all
from ..ops.movement import pad
from ..ops.normalization import *  # noqa: F403
from ..ops.normalization import __all__ as _norm_all
from .modules.linear import bilinear

__all__ = [*_act_all, *_drop_all, *_emb_all, *_loss_all, *_norm_all, "bilinear", "linear",
           "pad"]
