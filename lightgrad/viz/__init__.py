"""Pictures: decision boundaries of 2-D classifiers, training histories, activation functions
and their derivatives, weight/gradient histograms, and the autograd graph of any tensor.

matplotlib is optional (``pip install lightgrad[examples]``) and imported only when drawing;
:func:`decision_grid`, :func:`predict_proba`, :func:`history_series`,
:func:`activation_curves`, :func:`weight_arrays` and :func:`graph_to_dot` need only NumPy.
The graph is rendered by Graphviz's ``dot`` when installed (a matplotlib drawing otherwise).
"""

from .activations import *  # noqa: F403
from .activations import __all__ as _activations_all
from .boundary import *  # noqa: F403
from .boundary import __all__ as _boundary_all
from .graph import *  # noqa: F403
from .graph import __all__ as _graph_all
from .histograms import *  # noqa: F403
from .histograms import __all__ as _histograms_all
from .history import *  # noqa: F403
from .history import __all__ as _history_all

__all__ = [*_boundary_all, *_history_all, *_activations_all, *_histograms_all, *_graph_all]
