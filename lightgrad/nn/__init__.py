"""Neural-network building blocks (``torch.nn``): Module, Parameter, layers, losses, init."""

from . import functional, init, utils
from .module import Module, RemovableHandle
from .modules import *  # noqa: F403
from .parameter import Buffer, Parameter
