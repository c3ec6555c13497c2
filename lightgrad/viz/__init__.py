"""Pictures of what a model learned: decision boundaries of 2-D classifiers.

matplotlib is optional (``pip install lightgrad[examples]``) and imported only when drawing;
:func:`decision_grid` and :func:`predict_proba` need only NumPy.
"""

from .boundary import *  # noqa: F403
from .boundary import __all__
