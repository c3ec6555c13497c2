"""Loss functions (``torch.nn.functional``): regression, classification and ranking losses.

The hot losses are single fused ``Function``s with hand-written backwards: ``cross_entropy``
(log-softmax + NLL in one node: the gradient is ``softmax - onehot``, with class weights,
``ignore_index`` and label smoothing), ``nll_loss``, ``mse_loss``, ``l1_loss``,
``smooth_l1_loss``, ``huber_loss``, ``binary_cross_entropy(_with_logits)``, ``kl_div``,
``multi_margin_loss`` and ``multilabel_margin_loss``. The others are short compositions of
differentiable ops, exactly as PyTorch composes them.

Every loss takes ``reduction='mean' | 'sum' | 'none'`` (``kl_div`` also ``'batchmean'``) and,
where PyTorch still accepts them, the deprecated ``size_average``/``reduce`` flags.

Differences from PyTorch, on purpose:
    * class-index targets may have any integer dtype (PyTorch accepts only int64 and uint8);
    * ``weight``/``pos_weight`` may have another floating dtype than ``input`` (they are cast);
      like PyTorch, they are constants: a ``weight`` that requires grad is an error except for
      class-probability targets of ``cross_entropy``, where it is differentiable;
    * out-of-range class indices raise an ``IndexError`` naming the position and the value.

Two losses are lightgrad's own (no PyTorch counterpart): :func:`perceptron_loss` and
:func:`hinge_loss`, the binary perceptron and SVM criteria on scores with targets in {-1, +1}.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import backend_kernels as _bk
from ..autograd.function import Function
from ..backend import get_default_dtype
from ..tensor import Tensor
from .activation import log_softmax, logsigmoid, softplus
from .convert import cast
from .operands import broadcast_shapes, prepare_binary
from .unary import _quiet, _tensor, _xp, where

__all__ = [
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "cross_entropy", "nll_loss", "kl_div",
    "hinge_embedding_loss", "multi_margin_loss", "multilabel_margin_loss", "margin_ranking_loss",
    "cosine_embedding_loss", "soft_margin_loss", "multilabel_soft_margin_loss",
    "poisson_nll_loss", "gaussian_nll_loss", "triplet_margin_loss", "perceptron_loss",
    "hinge_loss",
]

_REDUCTIONS = ("none", "mean", "sum")
_NAN = math.nan


# ----------------------------------------------------------------------------- helpers
def _arg(x: Any, op: str, arg: str = "input") -> Any:
    """``x`` as a Tensor (typed ``Any``: Tensor's operators and methods are attached at import,
    which a type checker cannot see)."""
    return _tensor(x, op, arg)


def _reduction(reduction: Any, size_average: Any, reduce: Any, op: str,
               extra: tuple = ()) -> str:
    """The reduction string, from ``reduction`` or the legacy ``size_average``/``reduce``."""
    if size_average is not None or reduce is not None:
        sa = True if size_average is None else bool(size_average)
        rd = True if reduce is None else bool(reduce)
        r = "mean" if sa and rd else "sum" if rd else "none"
        warnings.warn(f"size_average and reduce args will be deprecated, please use "
                      f"reduction='{r}' instead.", UserWarning, stacklevel=3)
        return r
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' "
                      "instead.", UserWarning, stacklevel=3)
        return "mean"
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS + extra:
        allowed = ", ".join(repr(r) for r in _REDUCTIONS + extra)
        raise ValueError(f"{op}: {reduction} is not a valid value for reduction (expected one "
                         f"of {allowed})")
    return reduction


def _reduce(loss: Any, reduction: str) -> Any:
    """Reduce a raw loss array (``mean`` of nothing is nan, as in PyTorch)."""
    if reduction == "none":
        return loss
    s = loss.sum()
    if reduction == "sum":
        return s
    with _quiet(invalid="ignore", divide="ignore"):
        return s / loss.size


def _scale(grad_out: Any, reduction: str, n: int) -> Any:
    """The upstream gradient of each element of an unreduced loss of ``n`` elements."""
    if reduction == "mean":
        return grad_out / n if n else grad_out
    return grad_out


def _apply_reduction(loss: Any, reduction: str) -> Any:
    """Reduce a loss tensor (composed losses)."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _size_warning(input: Tensor, target: Tensor, op: str) -> None:
    if input.data.shape != target.data.shape:
        warnings.warn(f"{op}: Using a target size ({tuple(target.shape)}) that is different to "
                      f"the input size ({tuple(input.shape)}). This will likely lead to "
                      f"incorrect results due to broadcasting. Please ensure they have the same "
                      f"size.", UserWarning, stacklevel=3)


def _const_t(t: Tensor) -> Any:
    """``t``'s data as a new tensor outside the graph (used only in comparisons)."""
    return Tensor._make(t.data)


def _pair(input: Any, target: Any, op: str, warn: bool = True) -> tuple[Any, Any]:
    """``input`` and ``target`` as floating tensors of one dtype (shapes broadcastable)."""
    input = _arg(input, op, "input")
    target = _arg(target, op, "target")
    if warn:
        _size_warning(input, target, op)
    a, b = prepare_binary(input, target, op, float_only=True)
    return a, b


def _const(w: Any, like: Tensor, op: str, arg: str) -> Any:
    """An optional constant tensor argument (``weight``...) as a raw array of ``like``'s
    dtype; it must not require grad (PyTorch cannot differentiate it either)."""
    if w is None:
        return None
    w = _arg(w, op, arg)
    if w.requires_grad:
        raise RuntimeError(f"{op}: is not differentiable with respect to argument '{arg}'; "
                           f"this input cannot have requires_grad=True")
    d = w.data
    if d.dtype != like.data.dtype:
        d = d.astype(like.data.dtype)
    return d


def _floating_input(input: Any, op: str) -> Any:
    input = _arg(input, op, "input")
    if input.data.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got dtype "
                           f"{input.data.dtype}")
    return input


def _same_shape(input: Tensor, target: Tensor, op: str, exc: type = ValueError) -> None:
    if input.data.shape != target.data.shape:
        raise exc(f"{op}: target size {tuple(target.shape)} must be the same as input size "
                  f"{tuple(input.shape)}")


# ----------------------------------------------------------------------------- regression
def _huber_parts(d: Any, delta: float) -> tuple[Any, Any]:
    """``(|d|, clip(|d|, 0, delta))``: the Huber loss is ``c (|d| - c / 2)``."""
    ad = _xp(d).abs(d)
    return ad, ad.clip(0.0, delta)


class MseLoss(Function):
    """``loss = (a - b)^2``, reduced; d/da = 2 (a - b), d/db = -2 (a - b)."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any, reduction: str) -> Any:
        d = a - b
        ctx.save_for_backward(d)
        ctx.reduction = reduction
        if reduction == "none":
            return d * d
        if d.ndim and d.size and _xp(d) is np:
            flat = d.reshape(-1)
            s = flat @ flat  # one BLAS pass, no temporary
        else:
            s = (d * d).sum()
        if reduction == "sum":
            return s
        with _quiet(invalid="ignore", divide="ignore"):
            return s / d.size

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (d,) = ctx.saved_tensors
        na, nb = ctx.needs_input_grad[:2]
        g = d * (_scale(grad_out, ctx.reduction, d.size) * 2.0)
        return (g if na else None), (-g if nb else None), None


class L1Loss(Function):
    """``loss = |a - b|``, reduced; d/da = sign(a - b) (0 at 0)."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any, reduction: str) -> Any:
        d = a - b
        ctx.save_for_backward(d)
        ctx.reduction = reduction
        return _reduce(_xp(d).abs(d), reduction)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (d,) = ctx.saved_tensors
        na, nb = ctx.needs_input_grad[:2]
        g = _xp(d).sign(d)
        g *= _scale(grad_out, ctx.reduction, d.size)
        return (g if na else None), (-g if nb else None), None


class SmoothL1Loss(Function):
    """``loss = 0.5 d^2 / beta if |d| < beta else |d| - 0.5 beta`` with ``d = a - b``;
    d/da = clip(d / beta, -1, 1)."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any, reduction: str, beta: float) -> Any:
        d = a - b
        ctx.save_for_backward(d)
        ctx.reduction, ctx.beta = reduction, beta
        ad, c = _huber_parts(d, beta)
        c *= 0.5
        ad -= c
        ad *= c
        ad *= 2.0 / beta
        return _reduce(ad, reduction)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (d,) = ctx.saved_tensors
        na, nb = ctx.needs_input_grad[:2]
        g = d * (1.0 / ctx.beta)
        g = g.clip(-1.0, 1.0, out=g) if g.ndim else g.clip(-1.0, 1.0)
        g = g * _scale(grad_out, ctx.reduction, d.size)
        return (g if na else None), (-g if nb else None), None, None


class HuberLoss(Function):
    """``loss = 0.5 d^2 if |d| < delta else delta (|d| - 0.5 delta)`` with ``d = a - b``;
    d/da = clip(d, -delta, delta)."""

    @staticmethod
    def forward(ctx: Any, a: Any, b: Any, reduction: str, delta: float) -> Any:
        d = a - b
        ctx.save_for_backward(d)
        ctx.reduction, ctx.delta = reduction, delta
        ad, c = _huber_parts(d, delta)
        ad -= 0.5 * c
        ad *= c
        return _reduce(ad, reduction)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (d,) = ctx.saved_tensors
        na, nb = ctx.needs_input_grad[:2]
        g = d.clip(-ctx.delta, ctx.delta)
        g = g * _scale(grad_out, ctx.reduction, d.size)
        return (g if na else None), (-g if nb else None), None, None


def _weighted(unreduced: Any, weight: Any, reduction: str, op: str, normalize: bool) -> Any:
    """PyTorch's per-element ``weight`` of mse/l1/huber: ``loss * weight``, then sum, or mean
    (``normalize``: ``sum(loss * weight) / sum(weight)``, else a plain mean)."""
    weight = _arg(weight, op, "weight")
    if weight.shape != unreduced.shape:
        raise ValueError(f"{op}: weights and input must have the same size, got weight "
                         f"{tuple(weight.shape)} and input {tuple(unreduced.shape)}")
    loss = unreduced * weight
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / weight.sum() if normalize else loss.mean()


def mse_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
             reduce: bool | None = None, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    """Mean squared error ``(input - target)^2``, reduced (``'mean'``, ``'sum'``, ``'none'``).

    Shapes broadcast (with PyTorch's warning when they differ). ``weight`` (same shape as
    ``input``) weights each element; its ``'mean'`` is ``sum(w l) / sum(w)``.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.mse_loss(lightgrad.tensor([1.0, 2.0]), lightgrad.tensor([1.0, 4.0]))
        tensor(2.)
    """
    reduction = _reduction(reduction, size_average, reduce, "mse_loss")
    a, b = _pair(input, target, "mse_loss")
    if weight is not None:
        return _weighted(MseLoss.apply(a, b, "none"), weight, reduction, "mse_loss", True)
    return MseLoss.apply(a, b, reduction)


def l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
            reduce: bool | None = None, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """Mean absolute error ``|input - target|``, reduced; ``weight`` as in :func:`mse_loss`.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.l1_loss(lightgrad.tensor([1.0, 2.0]), lightgrad.tensor([0.0, 4.0]), reduction="sum")
        tensor(3.)
    """
    reduction = _reduction(reduction, size_average, reduce, "l1_loss")
    a, b = _pair(input, target, "l1_loss")
    if weight is not None:
        return _weighted(L1Loss.apply(a, b, "none"), weight, reduction, "l1_loss", True)
    return L1Loss.apply(a, b, reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                   reduce: bool | None = None, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """``0.5 d^2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 beta`` (``d = input -
    target``); ``beta = 0`` is :func:`l1_loss`.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.smooth_l1_loss(lightgrad.tensor([0.5, 3.0]), lightgrad.zeros(2), reduction="none")
        tensor([0.1250, 2.5000])
    """
    reduction = _reduction(reduction, size_average, reduce, "smooth_l1_loss")
    beta = float(beta)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss: does not support negative values for beta, got "
                           f"{beta}")
    a, b = _pair(input, target, "smooth_l1_loss")
    if beta == 0.0:
        return L1Loss.apply(a, b, reduction)
    return SmoothL1Loss.apply(a, b, reduction, beta)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """``0.5 d^2`` where ``|d| < delta``, else ``delta (|d| - 0.5 delta)``; ``weight``
    (same shape as ``input``) scales each element before a plain mean/sum.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.huber_loss(lightgrad.tensor([0.5, 3.0]), lightgrad.zeros(2), reduction="none",
        ...              delta=2.0)
        tensor([0.1250, 4.0000])
    """
    reduction = _reduction(reduction, None, None, "huber_loss")
    delta = float(delta)
    if not delta > 0:
        raise RuntimeError(f"huber_loss: does not support non-positive values for delta, got "
                           f"{delta}")
    a, b = _pair(input, target, "huber_loss")
    if weight is not None:
        return _weighted(HuberLoss.apply(a, b, "none", delta), weight, reduction, "huber_loss",
                         False)
    return HuberLoss.apply(a, b, reduction, delta)


# ----------------------------------------------------------------------------- binary
def _check_weight_shape(w: Any, x: Tensor, op: str, arg: str) -> None:
    """A per-element weight must broadcast to the input's shape (without enlarging it)."""
    if w is None:
        return
    shape = tuple(x.data.shape)
    try:
        ok = tuple(np.broadcast_shapes(w.shape, shape)) == shape
    except ValueError:
        ok = False
    if not ok:
        raise RuntimeError(f"{op}: {arg} of shape {tuple(w.shape)} does not broadcast to the "
                           f"input shape {shape}")


class BinaryCrossEntropy(Function):
    """``loss = -w (t log x + (1 - t) log(1 - x))`` with the logs clamped at -100;
    d/dx = w (x - t) / max(x (1 - x), 1e-12), d/dt = -w logit(x)."""

    @staticmethod
    def forward(ctx: Any, x: Any, t: Any, w: Any, reduction: str) -> Any:
        xp = _xp(x)
        with _quiet(divide="ignore"):
            lx = xp.log(x)
            l1x = xp.log1p(-x)
        lx = xp.maximum(lx, -100.0, out=lx) if lx.ndim else xp.maximum(lx, -100.0)
        l1x = xp.maximum(l1x, -100.0, out=l1x) if l1x.ndim else xp.maximum(l1x, -100.0)
        loss = (t - 1.0) * l1x
        loss -= t * lx
        if w is not None:
            loss = loss * w
        ctx.save_for_backward(x, t, w)
        ctx.reduction = reduction
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        x, t, w = ctx.saved_tensors
        xp = _xp(x)
        nx, nt = ctx.needs_input_grad[:2]
        g = _scale(grad_out, ctx.reduction, x.size)
        if w is not None:
            g = g * w
        gx = gt = None
        if nx:
            gx = (x - t) * g
            gx /= xp.maximum((1.0 - x) * x, 1e-12)
        if nt:
            with _quiet(divide="ignore", invalid="ignore"):
                gt = xp.log(x / (1.0 - x))
            gt *= g
            gt = -gt
        return gx, gt, None, None


class BinaryCrossEntropyWithLogits(Function):
    """``loss = w ((1 - t) x + l softplus(-x))`` with ``l = 1 + (pos_weight - 1) t``
    (``softplus(-x) = log1p(e^-|x|) + max(-x, 0)``: no overflow);
    d/dx = w ((1 - t) - l sigmoid(-x)), d/dt = w (-x + (pos_weight - 1) softplus(-x))."""

    @staticmethod
    def forward(ctx: Any, x: Any, t: Any, w: Any, pw: Any, reduction: str) -> Any:
        xp = _xp(x)
        e = xp.exp(-xp.abs(x))
        sp = xp.log1p(e)
        sp += xp.maximum(-x, 0.0)
        loss = (1.0 - t) * x
        if pw is None:
            loss += sp
        else:
            loss = loss + ((pw - 1.0) * t + 1.0) * sp
        if w is not None:
            loss = loss * w
        ctx.save_for_backward(x, t, w, pw, e, sp)
        ctx.reduction = reduction
        ctx.n = loss.size
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        x, t, w, pw, e, sp = ctx.saved_tensors
        xp = _xp(x)
        nx, nt = ctx.needs_input_grad[:2]
        g = _scale(grad_out, ctx.reduction, ctx.n)
        if w is not None:
            g = g * w
        gx = gt = None
        if nx:
            pos = x >= 0
            if pw is None:  # sigmoid(x) - t
                s = xp.where(pos, 1.0, e).astype(x.dtype, copy=False)
                s /= 1.0 + e
                gx = (s - t) * g
            else:  # (1 - t) - l sigmoid(-x)
                sneg = xp.where(pos, e, 1.0).astype(x.dtype, copy=False)
                sneg /= 1.0 + e
                gx = (1.0 - t) - ((pw - 1.0) * t + 1.0) * sneg
                gx = gx * g
        if nt:
            gt = -x if pw is None else (pw - 1.0) * sp - x
            gt = gt * g
        return gx, gt, None, None, None


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """``-w (t log x + (1 - t) log(1 - x))`` on probabilities ``x`` in [0, 1]; each log is
    clamped at -100 so that ``x = 0`` or ``1`` gives a finite loss (as PyTorch does).

    Args:
        input: probabilities (e.g. a ``sigmoid`` output), any shape.
        target: the same shape, values in [0, 1].
        weight: broadcastable to ``target``: a weight per element.

    Raises:
        ValueError: ``target``'s shape differs from ``input``'s.
        RuntimeError: an element of ``input`` is outside [0, 1] (or nan).

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.binary_cross_entropy(lightgrad.tensor([0.5, 1.0]), lightgrad.tensor([1.0, 1.0]))
        tensor(0.3466)
    """
    op = "binary_cross_entropy"
    reduction = _reduction(reduction, size_average, reduce, op)
    x = _floating_input(input, op)
    t = _arg(target, op, "target")
    if x.data.shape != t.data.shape:
        raise ValueError(f"{op}: using a target size {tuple(t.shape)} that is different to the "
                         f"input size {tuple(x.shape)} is not supported; ensure they have the "
                         f"same size")
    x, t = prepare_binary(x, t, op, float_only=True)
    xd = x.data
    if xd.size:
        lo, hi = float(xd.min()), float(xd.max())
        if not (lo >= 0.0 and hi <= 1.0):
            raise RuntimeError(f"{op}: all elements of input should be between 0 and 1, got "
                               f"values in [{lo:g}, {hi:g}] (apply sigmoid first, or use "
                               f"binary_cross_entropy_with_logits)")
    w = _const(weight, x, op, "weight")
    _check_weight_shape(w, x, op, "weight")
    return BinaryCrossEntropy.apply(x, t, w, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None,
                                     size_average: bool | None = None,
                                     reduce: bool | None = None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """``binary_cross_entropy(sigmoid(input), target)`` computed from the logits in one stable
    step: ``max(x, 0) - x t + log1p(e^-|x|)`` (exact for logits of any size).

    Args:
        input: logits, any shape.  target: the same shape, values in [0, 1].
        weight: broadcastable to ``input``: a weight per element.
        pos_weight: broadcastable to ``input`` (typically ``(C,)``): the weight of the
            positive term ``t log sigmoid(x)`` of each class (``negatives / positives`` to
            balance classes).

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.binary_cross_entropy_with_logits(lightgrad.tensor([0.0, 1e4]),
        ...                                    lightgrad.tensor([1.0, 1.0]), reduction="none")
        tensor([0.6931, 0.0000])
    """
    op = "binary_cross_entropy_with_logits"
    reduction = _reduction(reduction, size_average, reduce, op)
    x = _floating_input(input, op)
    t = _arg(target, op, "target")
    _same_shape(x, t, op)
    x, t = prepare_binary(x, t, op, float_only=True)
    w = _const(weight, x, op, "weight")
    pw = _const(pos_weight, x, op, "pos_weight")
    _check_weight_shape(w, x, op, "weight")
    _check_weight_shape(pw, x, op, "pos_weight")
    return BinaryCrossEntropyWithLogits.apply(x, t, w, pw, reduction)


# ----------------------------------------------------------------------------- class indices
class _Layout:
    """The class axis of a ``(C,)``, ``(N, C)`` or ``(N, C, d1, ...)`` input, viewed as
    ``(N, C)`` when there are no extra dims (``S == 1``) or else ``(N, C, S)``: no copy of a
    contiguous input. Per-sample quantities have shape ``(N,)`` or ``(N, S)``."""

    __slots__ = ("xp", "n", "c", "s")

    def __init__(self, x: Any) -> None:
        self.xp = _xp(x)
        shape = x.shape
        if len(shape) == 1:
            self.n, self.c, self.s = 1, shape[0], 1
        else:
            self.n, self.c = shape[0], shape[1]
            self.s = math.prod(shape[2:])

    def view(self, x: Any) -> Any:
        return x.reshape(self.n, self.c) if self.s == 1 else x.reshape(self.n, self.c, self.s)

    def rows(self, t: Any) -> Any:
        return t.reshape(self.n) if self.s == 1 else t.reshape(self.n, self.s)

    def index(self, t: Any) -> tuple:
        """The index of ``x[sample, t[sample]]`` for every sample."""
        xp = self.xp
        if self.s == 1:
            return (xp.arange(self.n), t)
        return (xp.arange(self.n)[:, None], t, xp.arange(self.s)[None, :])

    def csum(self, e: Any) -> Any:
        """The sum over classes (a BLAS product when ``S == 1``: several times faster than
        NumPy's row reduction)."""
        if self.s == 1:
            return e @ self.xp.ones(self.c, e.dtype)
        return e.sum(axis=1)

    def cdot(self, x: Any, w: Any) -> Any:
        """``sum_c x[:, c] w[c]``."""
        return x @ w if self.s == 1 else self.xp.einsum("ncs,c->ns", x, w)

    def col(self, r: Any) -> Any:
        """A per-sample quantity broadcast over the class axis."""
        return r[:, None] if getattr(r, "ndim", 0) else r

    def wcol(self, w: Any) -> Any:
        """A per-class quantity broadcast over the samples."""
        return w if self.s == 1 else w[:, None]


def _mask_targets(t: Any, ignore_index: int | None) -> tuple[Any, Any]:
    """``(targets with ignored entries set to 0, valid mask or None if none ignored)``."""
    if ignore_index is None:
        return t, None
    ign = t == ignore_index
    if not bool(ign.any()):
        return t, None
    return _xp(t).where(ign, 0, t), ~ign


def _check_class_target(input: Tensor, target: Any, op: str,
                        ignore_index: int) -> tuple[Any, int | None]:
    """Validate a class-index target for ``input`` ``(C,)``, ``(N, C)`` or ``(N, C, d...)``:
    dtype, shape, and range (naming the first bad position and value). Returns the target's
    array and ``ignore_index``, or None when no target equals it (no mask to apply)."""
    target = _arg(target, op, "target")
    td = target.data
    shape = tuple(input.data.shape)
    if td.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: target of shape {tuple(td.shape)} holds class indices for "
                           f"input {shape} and must be an integer tensor, got dtype {td.dtype}"
                           + (" (for class probabilities pass a floating target of the "
                              "input's shape)" if op == "cross_entropy" else ""))
    expected = () if len(shape) == 1 else (shape[0], *shape[2:])
    if tuple(td.shape) != expected:
        if len(shape) >= 2 and td.ndim >= 1 and td.shape[0] != shape[0]:
            raise ValueError(f"{op}: expected input batch_size ({shape[0]}) to match target "
                             f"batch_size ({td.shape[0]}) (input {shape}, target "
                             f"{tuple(td.shape)})")
        raise RuntimeError(f"{op}: expected target of shape {expected} for input of shape "
                           f"{shape}, got {tuple(td.shape)}")
    n_classes = shape[0] if len(shape) == 1 else shape[1]
    if not td.size:
        return td, None
    lo, hi = int(td.min()), int(td.max())
    if lo < 0 or hi >= n_classes:
        xp = _xp(td)
        bad = ((td < 0) | (td >= n_classes)) & (td != ignore_index)
        if bool(bad.any()):
            flat = int(xp.argmax(bad.reshape(-1)))
            pos: Any = tuple(int(i) for i in np.unravel_index(flat, td.shape))
            pos = pos[0] if len(pos) == 1 else pos
            value = int(td.reshape(-1)[flat])
            where_ = f" at position {pos}" if td.ndim else ""
            raise IndexError(f"{op}: target {value}{where_} is out of bounds for "
                             f"{n_classes} classes")
    return td, (ignore_index if lo <= ignore_index <= hi else None)


def _class_weight(weight: Any, input: Tensor, op: str) -> Any:
    w = _const(weight, input, op, "weight")
    if w is None:
        return None
    shape = input.data.shape
    n_classes = shape[0] if len(shape) == 1 else shape[1]
    if w.ndim != 1 or w.shape[0] != n_classes:
        raise RuntimeError(f"{op}: weight tensor should be defined either for all {n_classes} "
                           f"classes or no classes but got weight tensor of shape "
                           f"{tuple(w.shape)}")
    return w


def _row_grads(grad_out: Any, reduction: str, total: Any, wt: Any, valid: Any, rshape: tuple,
               dtype: Any) -> tuple[Any, Any]:
    """``(g, gw)``: the upstream gradient of each sample (an array of ``rshape`` or a scalar)
    and that gradient times the sample's class weight, both 0 on ignored samples."""
    xp = _xp(grad_out)
    if reduction == "none":
        g = grad_out.reshape(rshape)
    elif reduction == "mean":
        with _quiet(divide="ignore", invalid="ignore"):
            g = grad_out / total
    else:
        g = grad_out
    if wt is None and valid is None:
        return g, g
    gw = g * wt if wt is not None else xp.broadcast_to(g, rshape).astype(dtype)
    if valid is not None:
        gw = xp.where(valid, gw, 0.0).astype(dtype, copy=False)
        g = xp.where(valid, g, 0.0).astype(dtype, copy=False)
    return g, gw


def _weight_total(wt: Any, valid: Any, n: int) -> float:
    """The denominator of PyTorch's weighted mean: the summed weights of the counted samples."""
    if wt is not None:
        return float((wt if valid is None else wt * valid).sum())
    return float(n if valid is None else int(valid.sum()))


class NllLoss(Function):
    """``loss_i = -w[t_i] x[i, t_i]`` (0 where ``t_i == ignore_index``), reduced by PyTorch's
    weighted mean ``sum_i loss_i / sum_i w[t_i]``; d/dx[i, t_i] = -w[t_i] g_i."""

    @staticmethod
    def forward(ctx: Any, x: Any, t: Any, w: Any, ignore_index: int | None,
                reduction: str) -> Any:
        xp = _xp(x)
        lay = _Layout(x)
        xk = lay.view(x)
        tr, valid = _mask_targets(lay.rows(t), ignore_index)
        idx = lay.index(tr)
        picked = xk[idx]
        wt = None if w is None else w[tr]
        if wt is not None:
            picked = picked * wt
        if valid is not None:
            picked = xp.where(valid, picked, 0.0).astype(x.dtype, copy=False)
        loss = -picked
        ctx.shape, ctx.kshape, ctx.reduction = x.shape, xk.shape, reduction
        ctx.idx, ctx.wt, ctx.valid, ctx.dtype = idx, wt, valid, x.dtype
        if reduction == "none":
            return loss.reshape(t.shape)
        s = loss.sum()
        if reduction == "sum":
            return s
        ctx.total = _weight_total(wt, valid, loss.size)
        with _quiet(divide="ignore", invalid="ignore"):
            return s / ctx.total

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        xp = _xp(grad_out)
        rshape = ctx.idx[1].shape
        _, gw = _row_grads(grad_out, ctx.reduction, getattr(ctx, "total", 1.0), ctx.wt,
                           ctx.valid, rshape, ctx.dtype)
        gx = xp.zeros(ctx.kshape, ctx.dtype)
        gx[ctx.idx] = -gw
        return gx.reshape(ctx.shape), None, None, None, None


class CrossEntropy(Function):
    """Fused ``nll_loss(log_softmax(x, 1), t)`` with label smoothing ``eps``:
    ``loss_i = (1 - eps) w[t_i] (lse_i - x[i, t_i]) + eps / C sum_c w_c (lse_i - x[i, c])``;
    d/dx = softmax(x) a_i - (1 - eps) g_i w[t_i] onehot(t_i) - eps / C g_i w, with ``g_i``
    the sample's upstream gradient and ``a_i`` = g_i ((1 - eps) w[t_i] + eps / C sum(w)).

    The exponentials are taken unshifted when no row overflows or underflows (the common
    case: one pass less than subtracting each row's maximum), else shifted by the row
    maximum; the per-sample log-sum-exp is combined in float64, so the loss is as exact as
    PyTorch's for logits of any size.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, t: Any, w: Any, ignore_index: int | None, reduction: str,
                eps: float) -> Any:
        xp = _xp(x)
        lay = _Layout(x)
        xk = lay.view(x)
        c = lay.c
        tr, valid = _mask_targets(lay.rows(t), ignore_index)
        idx = lay.index(tr)
        xt = xk[idx]
        zs = None
        if eps:
            zs = lay.cdot(xk, w) if w is not None else lay.csum(xk)
        with _quiet(over="ignore", invalid="ignore", divide="ignore"):
            e = xp.exp(xk)
            s = lay.csum(e)
            tiny = 1e-20 if x.dtype.itemsize <= 4 else 1e-200
            shift = None
            if s.size and not (float(s.min()) >= tiny and float(s.max()) < math.inf):
                m = xk.max(axis=1, keepdims=True)  # some row over/underflows: shift by its max
                e = xk - m
                e = xp.exp(e, out=e)
                s = lay.csum(e)
                shift = m[:, 0]
            hp = x.dtype if x.dtype.itemsize >= 8 else np.dtype(np.float64)
            shp = s.astype(hp, copy=False)
            lse = xp.log(shp)
            if shift is not None:
                lse += shift
            # -log p[i, t_i] = log(s / e[i, t_i]): the target's rounded exponential cancels,
            # so confident predictions get PyTorch's precision; where e[i, t_i] is tiny (a
            # large loss: no cancellation), lse - x[i, t_i]
            et = e[idx].astype(hp, copy=False)
            loss = xp.where(et > (1e-30 if x.dtype.itemsize <= 4 else 1e-290), xp.log(shp / et),
                            lse - xt)
        wt = None if w is None else w[tr]
        if wt is not None:
            loss *= wt
        if eps:
            wsum = float(w.sum()) if w is not None else float(c)
            smooth = lse * wsum
            smooth -= zs
            loss *= 1.0 - eps
            smooth *= eps / c
            loss += smooth
            ctx.wsum = wsum
        loss = loss.astype(x.dtype, copy=False)
        if valid is not None:
            loss = xp.where(valid, loss, 0.0).astype(x.dtype, copy=False)
        ctx.save_for_backward(e, s)
        ctx.shape, ctx.reduction, ctx.eps, ctx.lay = x.shape, reduction, eps, lay
        ctx.idx, ctx.w, ctx.wt, ctx.valid = idx, w, wt, valid
        if reduction == "none":
            return loss.reshape(t.shape)
        total = loss.sum()
        if reduction == "sum":
            return total
        ctx.total = n = _weight_total(wt, valid, loss.size)
        return total / n if n else total * _NAN  # 0/0: nan, as PyTorch

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        e, s = ctx.saved_tensors
        lay = ctx.lay
        eps, c, dtype = ctx.eps, lay.c, e.dtype
        g, gw = _row_grads(grad_out, ctx.reduction, getattr(ctx, "total", 1.0), ctx.wt,
                           ctx.valid, s.shape, dtype)
        a = gw * (1.0 - eps) + g * (eps / c * ctx.wsum) if eps else gw
        gx = e * lay.col(a / s)
        if eps:
            gx[ctx.idx] -= gw * (1.0 - eps)
            wv = ctx.w if ctx.w is not None else lay.xp.ones(c, dtype)
            gx -= lay.col(g * (eps / c)) * lay.wcol(wv)
        else:
            gx[ctx.idx] -= gw
        return gx.reshape(ctx.shape), None, None, None, None, None


def _class_input(input: Any, op: str) -> Any:
    x = _floating_input(input, op)
    if x.data.ndim == 0:
        raise RuntimeError(f"{op}: input must have shape (C,), (N, C) or (N, C, d1, ...), got "
                           f"a 0-d tensor")
    return x


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
             size_average: bool | None = None, ignore_index: int = -100,
             reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood ``-w[t] input[t]`` of log-probabilities ``input``.

    With ``reduction='mean'`` the result is the weighted mean ``sum_i -w[t_i] x[i, t_i] /
    sum_i w[t_i]`` over the targets that are not ``ignore_index`` (nan if there are none).

    Args:
        input: log-probabilities ``(C,)``, ``(N, C)`` or ``(N, C, d1, ...)``.
        target: class indices ``()``, ``(N,)`` or ``(N, d1, ...)``, integers in ``[0, C)`` or
            ``ignore_index``.
        weight: ``(C,)``: a weight per class.

    Raises:
        IndexError: a target is out of range (the message names its position and value).

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> logp = lightgrad.tensor([[-0.5, -1.0], [-2.0, -0.1]])
        >>> F.nll_loss(logp, lightgrad.tensor([0, 1]))
        tensor(0.3000)
    """
    op = "nll_loss"
    reduction = _reduction(reduction, size_average, reduce, op)
    x = _class_input(input, op)
    t, ignore = _check_class_target(x, target, op, int(ignore_index))
    w = _class_weight(weight, x, op)
    return NllLoss.apply(x, t, w, ignore, reduction)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average: bool | None = None, ignore_index: int = -100,
                  reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy of logits ``input`` against class indices or class probabilities:
    ``nll_loss(log_softmax(input, 1), target)``, fused and stable for logits of any size.

    Args:
        input: logits ``(C,)``, ``(N, C)`` or ``(N, C, d1, ...)`` (classes on dim 1).
        target: class indices (integers, shape ``()``, ``(N,)`` or ``(N, d1, ...)``) or class
            probabilities (floating, the input's shape).
        weight: ``(C,)``: a weight per class. For class indices ``'mean'`` divides by the sum
            of the targets' weights; for probabilities by the number of samples.
        ignore_index: a class-index target to skip (loss and gradient 0, not counted).
        label_smoothing: in [0, 1]: mixes the target with the uniform distribution,
            ``(1 - eps) onehot + eps / C``.

    Raises:
        IndexError: a class index is out of range (naming its position and value).
        RuntimeError / ValueError: the dtype or shape of ``target`` does not fit ``input``.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> logits = lightgrad.tensor([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
        >>> F.cross_entropy(logits, lightgrad.tensor([0, 2]))
        tensor(0.6691)
        >>> F.cross_entropy(logits, lightgrad.tensor([[1.0, 0, 0], [0, 0.5, 0.5]]))
        tensor(0.6691)
    """
    op = "cross_entropy"
    reduction = _reduction(reduction, size_average, reduce, op)
    x = _class_input(input, op)
    eps = float(label_smoothing)
    if not 0.0 <= eps <= 1.0:
        raise RuntimeError(f"{op}: label_smoothing must be between 0.0 and 1.0, got {eps}")
    target = _arg(target, op, "target")
    if target.data.shape == x.data.shape:
        return _cross_entropy_probs(x, target, weight, reduction, eps, ignore_index)
    t, ignore = _check_class_target(x, target, op, int(ignore_index))
    w = _class_weight(weight, x, op)
    return CrossEntropy.apply(x, t, w, ignore, reduction, eps)


def _cross_entropy_probs(x: Any, target: Any, weight: Any, reduction: str,
                         eps: float, ignore_index: int) -> Tensor:
    """Cross-entropy against class probabilities (composed: the target and ``weight`` are
    differentiable, as in PyTorch)."""
    op = "cross_entropy"
    if target.data.dtype.kind != "f":
        raise RuntimeError(f"{op}: target of the input's shape {tuple(x.shape)} holds class "
                           f"probabilities and must be floating point, got dtype "
                           f"{target.data.dtype} (class indices have shape (N,) or (N, d1, ...))")
    if ignore_index >= 0:
        raise RuntimeError(f"{op}: ignore_index is not supported for class-probability "
                           f"targets (got ignore_index={ignore_index})")
    dim = 0 if x.ndim == 1 else 1
    c = x.shape[dim]
    logp = log_softmax(x, dim)
    if eps > 0:
        target = target * (1.0 - eps) + eps / c
    prod = logp * target
    if weight is not None:
        w = _arg(weight, op, "weight")
        if w.ndim != 1 or w.shape[0] != c:
            raise RuntimeError(f"{op}: weight tensor should be defined either for all {c} "
                               f"classes or no classes but got weight tensor of shape "
                               f"{tuple(w.shape)}")
        prod = prod * w.reshape((c,) + (1,) * (x.ndim - 1 - dim))
    if reduction == "none":
        return -prod.sum(dim)
    total = -prod.sum()
    if reduction == "sum":
        return total
    n = x.numel() // c if c else 0
    return total / n if n else total * _NAN


# ----------------------------------------------------------------------------- kl divergence
class KlDiv(Function):
    """``loss = t (log t - x)`` (0 where t = 0), or ``e^t (t - x)`` for a log-space target;
    d/dx = -t (or -e^t), d/dt = log t + 1 - x (or e^t (t - x + 1))."""

    @staticmethod
    def forward(ctx: Any, x: Any, t: Any, reduction: str, log_target: bool, div: int) -> Any:
        xp = _xp(x)
        if log_target:
            et = xp.exp(t)
            loss = (t - x) * et
            ctx.save_for_backward(x, t, et)
        else:
            with _quiet(divide="ignore", invalid="ignore"):
                lt = xp.log(t)
            lt = xp.where(t == 0, 0.0, lt).astype(lt.dtype, copy=False)  # xlogy(t, t)
            loss = (lt - x) * t
            ctx.save_for_backward(x, t, lt)
        ctx.reduction, ctx.log_target, ctx.div, ctx.n = reduction, log_target, div, loss.size
        ctx.out_shape = loss.shape
        if reduction == "batchmean":
            return loss.sum() / div
        return _reduce(loss, reduction)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        x, t, aux = ctx.saved_tensors
        nx, nt = ctx.needs_input_grad[:2]
        if ctx.reduction == "batchmean":
            g = grad_out / ctx.div
        else:
            g = _scale(grad_out, ctx.reduction, ctx.n)
        gx = gt = None
        if ctx.log_target:
            if nx:
                gx = aux * -g
                if gx.shape != ctx.out_shape:  # the target was broadcast over the input
                    gx = _xp(gx).broadcast_to(gx, ctx.out_shape)
            if nt:
                gt = (t - x + 1.0) * aux * g
        else:
            if nx:
                gx = t * -g
                if gx.shape != ctx.out_shape:
                    gx = _xp(gx).broadcast_to(gx, ctx.out_shape)
            if nt:
                with _quiet(divide="ignore", invalid="ignore"):
                    gt = aux + t / t  # PyTorch's xlogy gradient: nan where t == 0
                gt = (gt - x) * g
        return gx, gt, None, None, None


def kl_div(input: Tensor, target: Tensor, size_average: bool | None = None,
           reduce: bool | None = None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence ``target (log target - input)`` for log-probabilities
    ``input`` (``log_target=True``: ``target`` is given as log-probabilities too).

    ``reduction='batchmean'`` (the true KL divergence per sample) divides the sum by
    ``input.size(0)``; ``'mean'`` divides by the number of elements (PyTorch warns).

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> p = lightgrad.tensor([[0.5, 0.5]])
        >>> F.kl_div(lightgrad.tensor([[0.25, 0.75]]).log(), p, reduction="batchmean")
        tensor(0.1438)
    """
    op = "kl_div"
    if size_average is not None or reduce is not None:
        reduction = _reduction(reduction, size_average, reduce, op)
    else:
        reduction = _reduction(reduction, None, None, op, ("batchmean",))
        if reduction == "mean":
            warnings.warn("kl_div: reduction 'mean' divides the total loss by both the batch "
                          "size and the support size. 'batchmean' divides only by the batch "
                          "size, and aligns with the KL div math definition.", UserWarning,
                          stacklevel=2)
    x, t = _pair(input, target, op, warn=False)
    if reduction == "batchmean" and x.ndim == 0:
        reduction = "sum"
    div = x.shape[0] if reduction == "batchmean" else 1
    return KlDiv.apply(x, t, reduction, bool(log_target), div)


# ----------------------------------------------------------------------------- margins
class MultiMarginLoss(Function):
    """Multi-class SVM hinge: ``loss_i = w[y] / C sum_{j != y} max(0, margin - x[y] + x[j])^p``
    (``y = t_i``, p in {1, 2}); d/dx[j] = w[y] / C p h_j^(p-1), d/dx[y] = -sum of those."""

    @staticmethod
    def forward(ctx: Any, x: Any, t: Any, p: int, margin: float, w: Any, reduction: str) -> Any:
        xp = _xp(x)
        xr = x.reshape(1, -1) if x.ndim <= 1 else x
        m, c = xr.shape
        tr = t.reshape(-1)
        rows = xp.arange(m)
        h = xr - xr[rows, tr][:, None]
        h += margin
        h[rows, tr] = 0.0
        h = h.clip(0.0, math.inf, out=h)
        per = (h * h if p == 2 else h).sum(axis=1)
        per *= 1.0 / c
        wt = None if w is None else w[tr]
        if wt is not None:
            per *= wt
        ctx.save_for_backward(h)
        ctx.shape, ctx.tr, ctx.wt, ctx.p, ctx.reduction = x.shape, tr, wt, p, reduction
        if reduction == "none":
            return per.reshape(t.shape)
        return _reduce(per, reduction)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (h,) = ctx.saved_tensors
        xp = _xp(h)
        m, c = h.shape
        g = grad_out.reshape(-1) if ctx.reduction == "none" else _scale(grad_out, ctx.reduction, m)
        g = g * (1.0 / c)
        if ctx.wt is not None:
            g = g * ctx.wt
        gv = g[:, None] if getattr(g, "ndim", 0) else g
        if ctx.p == 2:
            gx = h * 2.0
            gx *= gv
        else:
            gx = (h > 0).astype(h.dtype)
            gx *= gv
        rows = xp.arange(m)
        gx[rows, ctx.tr] = -gx.sum(axis=1)
        return gx.reshape(ctx.shape), None, None, None, None, None


class MultilabelMarginLoss(Function):
    """``loss_i = sum_{j in targets} sum_{k not in targets} max(0, 1 - (x[j] - x[k])) / C``
    (the targets are the indices before the first -1, repeats counted)."""

    @staticmethod
    def forward(ctx: Any, x: Any, t: Any, reduction: str) -> Any:
        xp = _xp(x)
        xr = x.reshape(1, -1) if x.ndim <= 1 else x
        tr = t.reshape(xr.shape)
        m, c = xr.shape
        # the valid prefix of each row: positions before the first negative index
        prefix = xp.cumsum(tr < 0, axis=1) == 0
        cols = xp.where(prefix, tr, 0)
        count = xp.zeros((m, c), x.dtype)  # how often each class is listed
        rows = xp.repeat(xp.arange(m), c)
        keep = prefix.reshape(-1)
        _bk.scatter_add(count, (rows[keep], cols.reshape(-1)[keep]), 1.0)
        other = (count == 0).astype(x.dtype)  # the non-target classes
        z = 1.0 - xr[:, :, None] + xr[:, None, :]  # z[i, j, k] = 1 - x[j] + x[k]
        act = (z > 0).astype(x.dtype)
        act *= count[:, :, None]
        act *= other[:, None, :]
        per = (z * act).sum(axis=(1, 2)) / c
        ctx.save_for_backward(act)
        ctx.shape, ctx.reduction = x.shape, reduction
        if reduction == "none":
            return per if x.ndim > 1 else per.reshape(())
        return _reduce(per, reduction)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        (act,) = ctx.saved_tensors
        m, c = act.shape[:2]
        g = grad_out.reshape(-1) if ctx.reduction == "none" else _scale(grad_out, ctx.reduction, m)
        g = g * (1.0 / c)
        gv = g[:, None] if getattr(g, "ndim", 0) else g
        gx = act.sum(axis=1)  # d/dx[k]: over the targets j
        gx -= act.sum(axis=2)  # d/dx[j]: over the non-targets k
        gx *= gv
        return gx.reshape(ctx.shape), None, None


def _check_margin_target(x: Tensor, target: Any, op: str) -> Tensor:
    """A class-index target for a multi-class margin loss: ``(N,)`` for ``(N, C)`` input,
    ``()`` or ``(1,)`` for ``(C,)``."""
    t = _arg(target, op, "target")
    td = t.data
    if td.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: target must be an integer tensor of class indices, got "
                           f"dtype {td.dtype}")
    shape = tuple(x.data.shape)
    if len(shape) not in (1, 2) or shape[-1] == 0:
        raise RuntimeError(f"{op}: expected a non-empty (C,) or (N, C) input, got shape "
                           f"{shape}")
    n = 1 if len(shape) == 1 else shape[0]
    if td.ndim > 1 or td.size != n:
        raise RuntimeError(f"{op}: inconsistent target size {tuple(td.shape)} for input of "
                           f"size {shape}")
    c = shape[-1]
    if td.size:
        lo, hi = int(td.min()), int(td.max())
        if lo < 0 or hi >= c:
            flat = td.reshape(-1)
            i = int(_xp(td).argmax((flat < 0) | (flat >= c)))
            raise IndexError(f"{op}: target {int(flat[i])} at position {i} is out of bounds "
                             f"for {c} classes")
    return t


def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average: bool | None = None,
                      reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """The multi-class SVM hinge: ``w[y] / C sum_{j != y} max(0, margin - x[y] + x[j])^p``.

    Args:
        input: scores ``(N, C)`` or ``(C,)``.  target: class indices ``(N,)`` (or ``()``).
        p: 1 (hinge) or 2 (squared hinge).  margin: the required score gap.
        weight: ``(C,)``: a weight per class (of the target class).

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.multi_margin_loss(lightgrad.tensor([[0.1, 0.2, 0.4, 0.8]]), lightgrad.tensor([3]))
        tensor(0.3250)
    """
    op = "multi_margin_loss"
    reduction = _reduction(reduction, size_average, reduce, op)
    if p not in (1, 2):
        raise ValueError(f"{op}: only p == 1 and p == 2 supported, got {p}")
    x = _floating_input(input, op)
    t = _check_margin_target(x, target, op)
    w = None
    if weight is not None:
        w = _const(weight, x, op, "weight")
        if w.ndim != 1 or w.shape[0] != x.shape[-1]:
            raise ValueError(f"{op}: weight must be one-dimensional with one entry per class "
                             f"({x.shape[-1]}), got shape {tuple(w.shape)}")
    return MultiMarginLoss.apply(x, t.data, int(p), float(margin), w, reduction)


def multilabel_margin_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                           reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Multi-label hinge: ``sum_{j in y} sum_{k not in y} max(0, 1 - (x[j] - x[k])) / C``,
    where ``y`` holds the class indices of ``target``'s row before its first -1.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> x = lightgrad.tensor([[0.1, 0.2, 0.4, 0.8]])
        >>> F.multilabel_margin_loss(x, lightgrad.tensor([[3, 0, -1, 1]]))
        tensor(0.8500)
    """
    op = "multilabel_margin_loss"
    reduction = _reduction(reduction, size_average, reduce, op)
    x = _floating_input(input, op)
    t = _arg(target, op, "target")
    td = t.data
    if td.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: target must be an integer tensor of class indices, got "
                           f"dtype {td.dtype}")
    if x.ndim not in (1, 2) or x.shape[-1] == 0 or tuple(td.shape) != tuple(x.shape):
        raise RuntimeError(f"{op}: expected a non-empty (C,) or (N, C) input and a target of "
                           f"the same shape, got input {tuple(x.shape)} and target "
                           f"{tuple(td.shape)}")
    c = x.shape[-1]
    if td.size and (int(td.max()) >= c or int(td.min()) < -1):
        flat = td.reshape(-1)
        i = int(_xp(td).argmax((flat < -1) | (flat >= c)))
        raise IndexError(f"{op}: target {int(flat[i])} at position {i} is out of bounds for "
                         f"{c} classes")
    return MultilabelMarginLoss.apply(x, td, reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """``x`` where ``target == 1``, ``max(0, margin - x)`` where ``target == -1`` (``x``
    is typically a distance).

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.hinge_embedding_loss(lightgrad.tensor([0.3, 0.3]), lightgrad.tensor([1, -1]),
        ...                        reduction="none")
        tensor([0.3000, 0.7000])
    """
    op = "hinge_embedding_loss"
    reduction = _reduction(reduction, size_average, reduce, op)
    x = _floating_input(input, op)
    t = _arg(target, op, "target")
    if x.data.shape != t.data.shape:
        broadcast_shapes(op, x.data.shape, t.data.shape)
    t = _const_t(t)  # only compared: no gradient
    zeros = x * 0.0
    margin_part = where(t != 1, (margin - x).clamp_min(0.0), zeros)
    self_part = where(t != -1, x, zeros)
    return _apply_reduction(margin_part + self_part, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    """``max(0, -target (input1 - input2) + margin)``: ``target = 1`` asks for ``input1``
    ranked higher by at least ``margin``, ``-1`` for ``input2``.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.margin_ranking_loss(lightgrad.tensor([1.0, 1.0]), lightgrad.tensor([0.0, 0.0]),
        ...                       lightgrad.tensor([1.0, -1.0]), margin=0.5, reduction="none")
        tensor([0.0000, 1.5000])
    """
    op = "margin_ranking_loss"
    reduction = _reduction(reduction, size_average, reduce, op)
    x1 = _arg(input1, op, "input1")
    x2 = _arg(input2, op, "input2")
    t = _arg(target, op, "target")
    if not x1.ndim == x2.ndim == t.ndim:
        raise RuntimeError(f"{op}: all input tensors should have the same number of "
                           f"dimensions, got input1 {tuple(x1.shape)}, input2 "
                           f"{tuple(x2.shape)}, target {tuple(t.shape)}")
    broadcast_shapes(op, x1.data.shape, x2.data.shape, t.data.shape)
    return _apply_reduction((-t * (x1 - x2) + margin).clamp_min(0.0), reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          size_average: bool | None = None, reduce: bool | None = None,
                          reduction: str = "mean") -> Tensor:
    """``1 - cos(x1, x2)`` where ``target == 1``, ``max(0, cos(x1, x2) - margin)`` where
    ``target == -1`` (cosine over the last dim of ``(N, D)`` or ``(D,)`` inputs).

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> a = lightgrad.tensor([[1.0, 0.0], [1.0, 1.0]])
        >>> b = lightgrad.tensor([[0.0, 1.0], [1.0, 1.0]])
        >>> F.cosine_embedding_loss(a, b, lightgrad.tensor([1, -1]), reduction="none")
        tensor([1., 1.])
    """
    op = "cosine_embedding_loss"
    reduction = _reduction(reduction, size_average, reduce, op)
    x1 = _arg(input1, op, "input1")
    x2 = _arg(input2, op, "input2")
    t = _arg(target, op, "target")
    if t.ndim not in (0, 1):
        raise RuntimeError(f"{op}: 0D or 1D target tensor expected, multi-target not "
                           f"supported (target {tuple(t.shape)})")
    want = t.ndim + 1
    if x1.ndim != want or x2.ndim != want:
        raise RuntimeError(f"{op}: {t.ndim}D target tensor expects {want}D input tensors, but "
                           f"found inputs with sizes {tuple(x1.shape)} and {tuple(x2.shape)}")
    if x1.data.shape != x2.data.shape:
        broadcast_shapes(op, x1.data.shape, x2.data.shape)
    d = t.ndim
    eps = 1e-12
    prod = (x1 * x2).sum(d)
    mag1 = (x1 * x1).sum(d) + eps
    mag2 = (x2 * x2).sum(d) + eps
    cos = prod / (mag1 * mag2).sqrt()
    tc = _const_t(t)
    zeros = cos * 0.0
    pos = where(tc == 1, 1.0 - cos, zeros)
    neg = where(tc == -1, (cos - margin).clamp_min(0.0), zeros)
    return _apply_reduction(pos + neg, reduction)


def soft_margin_loss(input: Tensor, target: Tensor, size_average: bool | None = None,
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Two-class logistic loss ``log(1 + exp(-target input))`` for targets in {-1, 1}.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.soft_margin_loss(lightgrad.tensor([0.0, 2.0]), lightgrad.tensor([1.0, -1.0]),
        ...                    reduction="none")
        tensor([0.6931, 2.1269])
    """
    op = "soft_margin_loss"
    reduction = _reduction(reduction, size_average, reduce, op)
    x, t = _pair(input, target, op, warn=False)
    return _apply_reduction(softplus(-(x * t)), reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average: bool | None = None, reduce: bool | None = None,
                                reduction: str = "mean") -> Tensor:
    """Multi-label one-vs-all logistic loss: ``-mean_c (t log sigmoid(x) + (1 - t)
    log sigmoid(-x))`` per sample (classes on the last dim), then reduced over samples.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.multilabel_soft_margin_loss(lightgrad.tensor([[0.0, 0.0]]),
        ...                               lightgrad.tensor([[1.0, 0.0]]))
        tensor(0.6931)
    """
    op = "multilabel_soft_margin_loss"
    reduction = _reduction(reduction, size_average, reduce, op)
    x, t = _pair(input, target, op, warn=False)
    loss = -(t * logsigmoid(x) + (1.0 - t) * logsigmoid(-x))
    if weight is not None:
        loss = loss * _arg(weight, op, "weight")
    c = x.shape[-1] if x.ndim else 1
    loss = loss.sum(dim=x.ndim - 1 if x.ndim else None) / c
    return _apply_reduction(loss, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average: bool | None = None, eps: float = 1e-8,
                     reduce: bool | None = None, reduction: str = "mean") -> Tensor:
    """Poisson negative log-likelihood: ``exp(input) - target input`` (``log_input``) or
    ``input - target log(input + eps)``; ``full`` adds Stirling's term
    ``t log t - t + 0.5 log(2 pi t)`` where ``t > 1``.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.poisson_nll_loss(lightgrad.tensor([0.0]), lightgrad.tensor([2.0]))
        tensor(1.)
    """
    op = "poisson_nll_loss"
    reduction = _reduction(reduction, size_average, reduce, op)
    x, t = _pair(input, target, op, warn=False)
    if log_input:
        loss = x.exp() - t * x
    else:
        loss = x - t * (x + eps).log()
    if full:
        td = _const_t(t)
        with _quiet(divide="ignore", invalid="ignore"):
            stirling = t * t.log() - t + (t * (2.0 * math.pi)).log() * 0.5
        loss = loss + where(td <= 1, 0.0, stirling)
    return _apply_reduction(loss, reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Tensor | float, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """Gaussian negative log-likelihood ``0.5 (log var + (input - target)^2 / var)`` (+
    ``0.5 log 2 pi`` when ``full``), with ``var`` clamped at ``eps`` (the clamp passes the
    gradient through, as PyTorch's no-grad clamp does).

    ``var`` has the input's shape, or one dim less / one singleton dim (homoscedastic), or is
    a float.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.gaussian_nll_loss(lightgrad.tensor([1.0]), lightgrad.tensor([3.0]), 4.0)
        tensor(1.1931)
    """
    op = "gaussian_nll_loss"
    x = _arg(input, op, "input")
    if isinstance(var, int | float) and not isinstance(var, bool):
        if var < 0:
            raise ValueError(f"{op}: var has negative entry/entries ({var})")
        v = x * 0.0 + float(var)
    else:
        v = _arg(var, op, "var")
        if v.data.size and bool((v.data < 0).any()):
            raise ValueError(f"{op}: var has negative entry/entries")
    if v.shape != x.shape:
        if tuple(x.shape[:-1]) == tuple(v.shape):
            v = v.unsqueeze(-1)
        elif x.ndim == v.ndim and sum(b for a, b in zip(x.shape, v.shape) if a != b) == 1:
            pass
        else:
            raise ValueError(f"{op}: var is of incorrect size {tuple(v.shape)} for input "
                             f"{tuple(x.shape)}")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: {reduction} is not valid (expected 'none', 'mean' or 'sum')")
    vd = v.data
    clamped = vd.clip(eps, math.inf) if vd.ndim else _xp(vd).maximum(vd, eps)
    v = v + Tensor._make((clamped - vd).astype(vd.dtype, copy=False))
    loss = (v.log() + (x - target) ** 2 / v) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _apply_reduction(loss, reduction)


def _pairwise_distance(x1: Any, x2: Any, p: float, eps: float) -> Any:
    """``||x1 - x2 + eps||_p`` over the last dim (``torch.pairwise_distance``)."""
    d = x1 - x2 + eps
    return d.norm(p, dim=d.ndim - 1 if d.ndim else None)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False,
                        size_average: bool | None = None, reduce: bool | None = None,
                        reduction: str = "mean") -> Tensor:
    """``max(0, margin + d(a, p) - d(a, n))`` with ``d`` the p-norm distance over the last
    dim (``swap``: use ``min(d(a, n), d(p, n))``).

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> a, pos, neg = lightgrad.zeros(1, 2), lightgrad.ones(1, 2), lightgrad.ones(1, 2) * 2
        >>> F.triplet_margin_loss(a, pos, neg, margin=1.0)
        tensor(0.)
    """
    op = "triplet_margin_loss"
    reduction = _reduction(reduction, size_average, reduce, op)
    if margin <= 0:
        raise ValueError(f"{op}: margin must be greater than 0, got {margin}")
    a = _arg(anchor, op, "anchor")
    pos = _arg(positive, op, "positive")
    neg = _arg(negative, op, "negative")
    if not a.ndim == pos.ndim == neg.ndim:
        raise RuntimeError(f"{op}: the anchor, positive, and negative tensors are expected to "
                           f"have the same number of dimensions, but got: anchor {a.ndim}D, "
                           f"positive {pos.ndim}D, and negative {neg.ndim}D inputs")
    d_pos = _pairwise_distance(a, pos, p, eps)
    d_neg = _pairwise_distance(a, neg, p, eps)
    if swap:
        d_swap = _pairwise_distance(pos, neg, p, eps)
        d_neg = where(Tensor._make(d_swap.data < d_neg.data), d_swap, d_neg)
    return _apply_reduction((d_pos - d_neg + margin).clamp_min(0.0), reduction)


# ----------------------------------------------------------------------------- lightgrad's own
def _signed_scores(scores: Any, target: Any, op: str) -> Any:
    x = _arg(scores, op, "scores")
    t = _arg(target, op, "target")
    if x.data.shape != t.data.shape:
        raise ValueError(f"{op}: target shape {tuple(t.shape)} must match the scores' shape "
                         f"{tuple(x.shape)}")
    td = t.data
    if td.size and not bool(((td == 1) | (td == -1)).all()):
        raise ValueError(f"{op}: targets must be -1 or +1 (got values "
                         f"{sorted({float(v) for v in _xp(td).unique(td)[:5].tolist()})})")
    if x.data.dtype.kind != "f":
        x = cast(x, get_default_dtype() if td.dtype.kind != "f" else td.dtype)
    return x * Tensor._make(td.astype(x.data.dtype, copy=False))


def perceptron_loss(scores: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """The perceptron criterion ``max(0, -y * score)`` for targets ``y`` in {-1, +1}.

    lightgrad-only (PyTorch has no equivalent): zero for correctly classified samples, the
    score's magnitude otherwise, so SGD on it is Rosenblatt's perceptron update.

    Args:
        scores: raw scores ``w.x + b``, any shape.
        target: the same shape, values -1 or +1.
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.perceptron_loss(lightgrad.tensor([2.0, -1.0, 0.5]), lightgrad.tensor([1, 1, -1]))
        tensor(0.5000)
    """
    op = "perceptron_loss"
    reduction = _reduction(reduction, None, None, op)
    return _apply_reduction((-_signed_scores(scores, target, op)).clamp_min(0.0), reduction)


def hinge_loss(scores: Tensor, target: Tensor, margin: float = 1.0,
               reduction: str = "mean") -> Tensor:
    """The binary SVM hinge ``max(0, margin - y * score)`` for targets ``y`` in {-1, +1}.

    lightgrad-only; the multi-class form is :func:`multi_margin_loss` (PyTorch's, which a
    PyTorch user would call with two classes).

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.hinge_loss(lightgrad.tensor([2.0, 0.5, -1.0]), lightgrad.tensor([1, 1, 1]),
        ...              reduction="none")
        tensor([0.0000, 0.5000, 2.0000])
    """
    op = "hinge_loss"
    reduction = _reduction(reduction, None, None, op)
    return _apply_reduction((margin - _signed_scores(scores, target, op)).clamp_min(0.0),
                            reduction)
