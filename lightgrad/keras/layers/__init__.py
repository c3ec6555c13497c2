"""Keras layers (``keras.layers``), a skin over ``lightgrad.nn``."""

from .attention import *  # noqa: F403
from .convolutional import *  # noqa: F403
from .core import *  # noqa: F403
from .embedding import *  # noqa: F403
from .layer import KerasTensor, Layer
from .merging import *  # noqa: F403
from .noise import *  # noqa: F403
from .normalization import *  # noqa: F403
from .pooling import *  # noqa: F403
from .recurrent import *  # noqa: F403
from .reshaping import *  # noqa: F403
from .wrappers import *  # noqa: F403
