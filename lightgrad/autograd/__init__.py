"""Reverse-mode automatic differentiation: ``Function``, the engine, grad modes, gradcheck."""

from .engine import backward, grad, unbroadcast
from .function import Function, FunctionCtx
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck

__all__ = [
    "Function", "FunctionCtx", "backward", "grad", "unbroadcast", "no_grad", "enable_grad",
    "set_grad_enabled", "inference_mode", "is_grad_enabled", "gradcheck", "GradcheckError",
]
