"""``torch.nn.functional``: the functional forms of layers and losses, re-exported from the
ops (no math lives here)."""

from ..ops.activation import *  # noqa: F403
from ..ops.activation import __all__ as _act_all
from ..ops.attention import *  # noqa: F403
from ..ops.attention import __all__ as _attn_all
from ..ops.conv import *  # noqa: F403
from ..ops.conv import __all__ as _conv_all
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
from ..ops.pooling import *  # noqa: F403
from ..ops.pooling import __all__ as _pool_all
from ..ops.recurrent import *  # noqa: F403
from ..ops.recurrent import __all__ as _rec_all
from ..ops.resample import *  # noqa: F403
from ..ops.resample import __all__ as _res_all
from .modules.linear import bilinear

__all__ = [*_act_all, *_attn_all, *_conv_all, *_drop_all, *_emb_all, *_loss_all, *_norm_all,
           *_pool_all, *_rec_all, *_res_all, "bilinear", "linear", "pad"]
