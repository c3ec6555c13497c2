r"""L1 (Lasso) and L2 (Ridge) regularization recipes.

Two ways to regularize the weights :math:`w` of a model trained on a loss :math:`L`:

* **L2 / Ridge** (:math:`L + \tfrac{\lambda}{2}\lVert w\rVert_2^2`): pass ``weight_decay=lambda``
  to ``SGD``, ``Adam``, ``RMSprop``, ``Adagrad``, ... The optimizer adds :math:`\lambda w` to the
  gradient, which is exactly the gradient of :math:`\tfrac{\lambda}{2}\lVert w\rVert^2`, at no
  graph cost. Equivalently add ``lam / 2 * l2_penalty(params)`` to the loss yourself (useful to
  penalize only some parameters, e.g. weights but not biases, or to report the penalty).
  ``AdamW`` is different: its *decoupled* decay :math:`w \leftarrow w(1-\gamma\lambda)` bypasses
  Adam's gradient normalization, so it is not an L2 penalty on the loss.
* **L1 / Lasso** (:math:`L + \lambda\lVert w\rVert_1`): no optimizer option; add
  ``lam * l1_penalty(params)`` to the loss. Its (sub)gradient is :math:`\lambda\,\mathrm{sign}(w)`
  (0 at exactly 0, as ``abs``'s gradient in PyTorch), which drives small weights towards zero.

Example (a Lasso regression step):

    >>> import lightgrad
    >>> from lightgrad.optim.regularization import l1_penalty
    >>> w = lightgrad.nn.Parameter(lightgrad.tensor([0.5, -1.0]))
    >>> x, y = lightgrad.tensor([[1.0, 2.0]]), lightgrad.tensor([0.0])
    >>> opt = lightgrad.optim.SGD([w], lr=0.1)
    >>> loss = ((x @ w - y) ** 2).mean() + 0.1 * l1_penalty([w])
    >>> loss.backward()
    >>> w.grad  # 2 * (x @ w - y) * x + 0.1 * sign(w)
    tensor([-2.9000, -6.1000])
"""

from __future__ import annotations

from collections.abc import Iterable

from ..tensor import Tensor

__all__ = ["l1_penalty", "l2_penalty"]


def _params(params: Iterable[Tensor] | Tensor, fn: str) -> list[Tensor]:
    if isinstance(params, Tensor):
        return [params]
    out = []
    for i, p in enumerate(params):
        if isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str):  # named_parameters()
            p = p[1]
        if not isinstance(p, Tensor):
            raise TypeError(f"{fn}: params must be tensors, but element {i} is "
                            f"{type(p).__name__}")
        out.append(p)
    if not out:
        raise ValueError(f"{fn}: got an empty parameter list")
    return out


def l1_penalty(params: Iterable[Tensor] | Tensor) -> Tensor:
    r"""The L1 norm of all the parameters, :math:`\sum_i \sum_j |w_{ij}|` (differentiable).

    Add ``lam * l1_penalty(model.parameters())`` to the loss for Lasso regularization.

    Args:
        params: a tensor, an iterable of tensors (e.g. ``model.parameters()``) or of
            ``(name, tensor)`` pairs (``model.named_parameters()``).

    Returns:
        A 0-d tensor.

    Example:
        >>> import lightgrad
        >>> from lightgrad.optim.regularization import l1_penalty
        >>> l1_penalty([lightgrad.tensor([1.0, -2.0]), lightgrad.tensor([[3.0]])])
        tensor(6.)
    """
    total = None
    for p in _params(params, "l1_penalty"):
        term = p.abs().sum()  # type: ignore[attr-defined]
        total = term if total is None else total + term
    return total  # type: ignore[return-value]


def l2_penalty(params: Iterable[Tensor] | Tensor) -> Tensor:
    r"""The squared L2 norm of all the parameters, :math:`\sum_i \sum_j w_{ij}^2`
    (differentiable).

    ``lam / 2 * l2_penalty(params)`` added to the loss is what ``weight_decay=lam`` does in
    ``SGD``/``Adam`` (Ridge regularization).

    Args:
        params: a tensor, an iterable of tensors (e.g. ``model.parameters()``) or of
            ``(name, tensor)`` pairs (``model.named_parameters()``).

    Returns:
        A 0-d tensor.

    Example:
        >>> import lightgrad
        >>> from lightgrad.optim.regularization import l2_penalty
        >>> l2_penalty([lightgrad.tensor([1.0, -2.0]), lightgrad.tensor([[3.0]])])
        tensor(14.)
    """
    total = None
    for p in _params(params, "l2_penalty"):
        term = (p * p).sum()  # type: ignore[operator]
        total = term if total is None else total + term
    return total  # type: ignore[return-value]
