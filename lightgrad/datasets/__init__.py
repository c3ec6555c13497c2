"""Small data sets for examples and tests, as NumPy arrays: the TensorFlow playground's 2-D sets,
scikit-learn's moons, and the 8x8 digits (read from scikit-learn's installed copy).

Wrap them for training with ``lightgrad.utils.data.TensorDataset``:

    >>> import lightgrad
    >>> from lightgrad.datasets import make_circle
    >>> X, y = make_circle(n=100, seed=0)
    >>> lightgrad.from_numpy(X).shape
    lightgrad.Size([100, 2])
"""

from .digits import *  # noqa: F403
from .images import *  # noqa: F403
from .paths import *  # noqa: F403
from .text import *  # noqa: F403
from .toy import *  # noqa: F403
from .digits import __all__ as _digits_all
from .images import __all__ as _images_all
from .paths import __all__ as _paths_all
from .text import __all__ as _text_all
from .toy import __all__ as _toy_all

__all__ = [*_toy_all, *_digits_all, *_images_all, *_paths_all, *_text_all]
