"""Loss modules (``torch.nn.*Loss``): configuration holders that call ``nn.functional``.

Class weights (``weight``, ``pos_weight``) are registered as buffers, as in PyTorch: they
appear in ``state_dict()`` and move with ``to()``.
"""

from __future__ import annotations

import warnings
from typing import Any

from ...ops import loss as F
from ...tensor import Tensor
from ..module import Module

__all__ = [
    "L1Loss", "MSELoss", "SmoothL1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss",
    "CrossEntropyLoss", "NLLLoss", "NLLLoss2d", "KLDivLoss", "HingeEmbeddingLoss",
    "MultiMarginLoss", "MultiLabelMarginLoss", "MultiLabelSoftMarginLoss", "MarginRankingLoss",
    "CosineEmbeddingLoss", "SoftMarginLoss", "PoissonNLLLoss", "GaussianNLLLoss",
    "TripletMarginLoss",
]


def _legacy(size_average: Any, reduce: Any, reduction: str) -> str:
    if size_average is None and reduce is None:
        return reduction
    sa = True if size_average is None else bool(size_average)
    rd = True if reduce is None else bool(reduce)
    r = "mean" if sa and rd else "sum" if rd else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{r}' "
                  "instead.", UserWarning, stacklevel=4)
    return r


class _Loss(Module):
    reduction: str

    def __init__(self, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = _legacy(size_average, reduce, reduction)


class _WeightedLoss(_Loss):
    weight: Tensor | None

    def __init__(self, weight: Tensor | None = None, size_average: Any = None,
                 reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class L1Loss(_Loss):
    """Mean absolute error ``|input - target|`` (see :func:`~lightgrad.nn.functional.l1_loss`).

    Args:
        reduction: ``'mean'`` (default) | ``'sum'`` | ``'none'``.

    Shape:
        input and target: any (broadcastable) shape; output: scalar, or the input's shape for
        ``'none'``.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.L1Loss()(lightgrad.tensor([1.0, 2.0]), lightgrad.tensor([0.0, 4.0]))
        tensor(1.5000)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class MSELoss(_Loss):
    """Mean squared error ``(input - target)^2``
    (see :func:`~lightgrad.nn.functional.mse_loss`).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.MSELoss()(lightgrad.tensor([1.0, 2.0]), lightgrad.tensor([0.0, 4.0]))
        tensor(2.5000)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Quadratic below ``beta``, linear above
    (see :func:`~lightgrad.nn.functional.smooth_l1_loss`).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.SmoothL1Loss(beta=1.0)(lightgrad.tensor([0.5, 3.0]), lightgrad.zeros(2))
        tensor(1.3125)
    """

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean",
                 beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Quadratic below ``delta``, ``delta``-scaled linear above
    (see :func:`~lightgrad.nn.functional.huber_loss`).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.HuberLoss(delta=2.0)(lightgrad.tensor([0.5, 3.0]), lightgrad.zeros(2))
        tensor(2.0625)
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy on probabilities
    (see :func:`~lightgrad.nn.functional.binary_cross_entropy`).

    Args:
        weight: broadcastable to the input: a weight per element (a buffer).
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.BCELoss()(lightgrad.tensor([0.5, 1.0]), lightgrad.tensor([1.0, 1.0]))
        tensor(0.3466)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy in one stable step
    (see :func:`~lightgrad.nn.functional.binary_cross_entropy_with_logits`).

    Args:
        weight: broadcastable to the input: a weight per element (a buffer).
        pos_weight: broadcastable to the input, typically ``(C,)``: the weight of positive
            examples of each class (a buffer).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> loss = nn.BCEWithLogitsLoss(pos_weight=lightgrad.tensor([2.0]))
        >>> loss(lightgrad.tensor([0.0]), lightgrad.tensor([1.0]))
        tensor(1.3863)
    """

    weight: Tensor | None
    pos_weight: Tensor | None

    def __init__(self, weight: Tensor | None = None, size_average: Any = None,
                 reduce: Any = None, reduction: str = "mean",
                 pos_weight: Tensor | None = None) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, self.weight,
                                                  pos_weight=self.pos_weight,
                                                  reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of logits against class indices or class probabilities (fused
    log-softmax + NLL; see :func:`~lightgrad.nn.functional.cross_entropy`).

    Args:
        weight: ``(C,)``: a weight per class (a buffer).
        ignore_index: a target class index that does not count (default -100).
        reduction: ``'mean'`` | ``'sum'`` | ``'none'``.
        label_smoothing: in [0, 1].

    Shape:
        input ``(C,)``, ``(N, C)`` or ``(N, C, d1, ...)``; target ``()``, ``(N,)`` or ``(N, d1,
        ...)`` class indices, or probabilities of the input's shape; output scalar, or the
        target's (indices) / the input's minus dim 1 (probabilities) shape for ``'none'``.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> loss = nn.CrossEntropyLoss(label_smoothing=0.1)
        >>> loss(lightgrad.tensor([[2.0, 0.0, 0.0]]), lightgrad.tensor([0]))
        tensor(0.3729)
    """

    def __init__(self, weight: Tensor | None = None, size_average: Any = None,
                 ignore_index: int = -100, reduce: Any = None, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities
    (see :func:`~lightgrad.nn.functional.nll_loss`).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.NLLLoss()(lightgrad.tensor([[-0.5, -1.0], [-2.0, -0.1]]), lightgrad.tensor([0, 1]))
        tensor(0.3000)
    """

    def __init__(self, weight: Tensor | None = None, size_average: Any = None,
                 ignore_index: int = -100, reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class NLLLoss2d(NLLLoss):
    """Deprecated alias of :class:`NLLLoss` (which handles ``(N, C, H, W)`` inputs)."""


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence of log-probabilities ``input`` from ``target``
    (see :func:`~lightgrad.nn.functional.kl_div`; use ``reduction='batchmean'``).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> loss = nn.KLDivLoss(reduction="batchmean")
        >>> loss(lightgrad.tensor([[0.25, 0.75]]).log(), lightgrad.tensor([[0.5, 0.5]]))
        tensor(0.1438)
    """

    def __init__(self, size_average: Any = None, reduce: Any = None, reduction: str = "mean",
                 log_target: bool = False) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class HingeEmbeddingLoss(_Loss):
    """``x`` for ``target = 1``, ``max(0, margin - x)`` for ``-1``
    (see :func:`~lightgrad.nn.functional.hinge_embedding_loss`).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.HingeEmbeddingLoss()(lightgrad.tensor([0.3, 0.3]), lightgrad.tensor([1, -1]))
        tensor(0.5000)
    """

    def __init__(self, margin: float = 1.0, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.hinge_embedding_loss(input, target, margin=self.margin,
                                      reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """The multi-class SVM hinge (see :func:`~lightgrad.nn.functional.multi_margin_loss`).

    Args:
        p: 1 or 2.  margin: default 1.  weight: ``(C,)`` per-class weights (a buffer).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.MultiMarginLoss()(lightgrad.tensor([[0.1, 0.2, 0.4, 0.8]]), lightgrad.tensor([3]))
        tensor(0.3250)
    """

    def __init__(self, p: int = 1, margin: float = 1.0, weight: Tensor | None = None,
                 size_average: Any = None, reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: only p == 1 and p == 2 supported, got {p}")
        if weight is not None and weight.dim() != 1:
            raise ValueError(f"MultiMarginLoss: weight must be one-dimensional, got shape "
                             f"{tuple(weight.shape)}")
        self.p = p
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multi_margin_loss(input, target, p=self.p, margin=self.margin,
                                   weight=self.weight, reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """Multi-label hinge (see :func:`~lightgrad.nn.functional.multilabel_margin_loss`).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> loss = nn.MultiLabelMarginLoss()
        >>> loss(lightgrad.tensor([[0.1, 0.2, 0.4, 0.8]]), lightgrad.tensor([[3, 0, -1, 1]]))
        tensor(0.8500)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """Multi-label one-vs-all logistic loss
    (see :func:`~lightgrad.nn.functional.multilabel_soft_margin_loss`).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.MultiLabelSoftMarginLoss()(lightgrad.zeros(1, 2), lightgrad.tensor([[1.0, 0.0]]))
        tensor(0.6931)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multilabel_soft_margin_loss(input, target, weight=self.weight,
                                             reduction=self.reduction)


class MarginRankingLoss(_Loss):
    """``max(0, -target (input1 - input2) + margin)``
    (see :func:`~lightgrad.nn.functional.margin_ranking_loss`).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> loss = nn.MarginRankingLoss(margin=0.5)
        >>> loss(lightgrad.tensor([1.0, 1.0]), lightgrad.tensor([0.0, 0.0]),
        ...      lightgrad.tensor([1.0, -1.0]))
        tensor(0.7500)
    """

    def __init__(self, margin: float = 0.0, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.margin_ranking_loss(input1, input2, target, margin=self.margin,
                                     reduction=self.reduction)


class CosineEmbeddingLoss(_Loss):
    """``1 - cos`` for similar pairs (target 1), ``max(0, cos - margin)`` for dissimilar
    (see :func:`~lightgrad.nn.functional.cosine_embedding_loss`).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> a = lightgrad.tensor([[1.0, 0.0]])
        >>> nn.CosineEmbeddingLoss()(a, a, lightgrad.tensor([1]))
        tensor(0.)
    """

    def __init__(self, margin: float = 0.0, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.cosine_embedding_loss(input1, input2, target, margin=self.margin,
                                       reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """Two-class logistic loss ``log(1 + exp(-y x))``
    (see :func:`~lightgrad.nn.functional.soft_margin_loss`).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.SoftMarginLoss()(lightgrad.tensor([0.0]), lightgrad.tensor([1.0]))
        tensor(0.6931)
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class PoissonNLLLoss(_Loss):
    """Poisson negative log-likelihood
    (see :func:`~lightgrad.nn.functional.poisson_nll_loss`).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.PoissonNLLLoss()(lightgrad.tensor([0.0]), lightgrad.tensor([2.0]))
        tensor(1.)
    """

    def __init__(self, log_input: bool = True, full: bool = False, size_average: Any = None,
                 eps: float = 1e-8, reduce: Any = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_input = log_input
        self.full = full
        self.eps = eps

    def forward(self, log_input: Tensor, target: Tensor) -> Tensor:
        return F.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full,
                                  eps=self.eps, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood with predicted variance
    (see :func:`~lightgrad.nn.functional.gaussian_nll_loss`).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> nn.GaussianNLLLoss()(lightgrad.tensor([1.0]), lightgrad.tensor([3.0]),
        ...                      lightgrad.tensor([4.0]))
        tensor(1.1931)
    """

    def __init__(self, *, full: bool = False, eps: float = 1e-6,
                 reduction: str = "mean") -> None:
        super().__init__(None, None, reduction)
        self.full = full
        self.eps = eps

    def forward(self, input: Tensor, target: Tensor, var: Tensor | float) -> Tensor:
        return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                   reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """``max(0, margin + d(a, p) - d(a, n))`` with the p-norm distance
    (see :func:`~lightgrad.nn.functional.triplet_margin_loss`).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> a, pos, neg = lightgrad.zeros(1, 2), lightgrad.ones(1, 2), lightgrad.ones(1, 2) * 2
        >>> nn.TripletMarginLoss(margin=2.0)(a, pos, neg)
        tensor(0.5858)
    """

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6,
                 swap: bool = False, size_average: Any = None, reduce: Any = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: margin must be greater than 0, got {margin}")
        self.margin = margin
        self.p = p
        self.eps = eps
        self.swap = swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p,
                                     eps=self.eps, swap=self.swap, reduction=self.reduction)
