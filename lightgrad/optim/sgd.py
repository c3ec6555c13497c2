"""Stochastic gradient descent, with momentum and Nesterov momentum (``torch.optim.SGD``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..tensor import Tensor
from .optimizer import Optimizer, _apply_decay, _check_flags, _grad_shape_error, _xp

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum.

    With :math:`g_t = \nabla_\theta f(\theta_{t-1}) + \lambda\theta_{t-1}` (negated first if
    ``maximize``), momentum :math:`\mu` and dampening :math:`\tau`:

    .. math::
        b_t = \mu b_{t-1} + (1-\tau) g_t \ (b_1 = g_1), \quad
        \theta_t = \theta_{t-1} - \gamma\,(g_t + \mu b_t \text{ if nesterov else } b_t)

    (without momentum, :math:`\theta_t = \theta_{t-1} - \gamma g_t`). This is PyTorch's
    formulation: the learning rate multiplies the velocity, unlike Sutskever et al.

    Args:
        params: tensors or parameter groups (dicts) to optimize.
        lr: learning rate :math:`\gamma` (default 1e-3).
        momentum: momentum factor :math:`\mu` (default 0).
        dampening: dampening for momentum :math:`\tau` (default 0).
        weight_decay: L2 penalty :math:`\lambda` added to the gradient (default 0); the same as
            adding :math:`\tfrac{\lambda}{2}\lVert\theta\rVert^2` to the loss (Ridge).
        nesterov: use Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).
        maximize: maximize the objective instead of minimizing it.
        foreach, fused: accepted for PyTorch compatibility and ignored (one update path).
        differentiable: must be False.

    State (per parameter): ``momentum_buffer`` (only when ``momentum != 0``).

    Example:
        >>> import lightgrad
        >>> w = lightgrad.nn.Parameter(lightgrad.tensor([1.0, -2.0]))
        >>> opt = lightgrad.optim.SGD([w], lr=0.1, momentum=0.9)
        >>> opt.zero_grad()
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        Parameter containing:
        tensor([ 0.8000, -1.6000], requires_grad=True)
    """

    def __init__(self, params: Any, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        _check_flags("SGD", differentiable)
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One SGD update of every parameter that has a gradient; returns ``closure()``'s
        loss if a closure is given."""
        loss = self._closure_loss(closure)
        state = self.state
        scratch = self._scratch
        for group in self.param_groups:
            lr = -float(group["lr"])
            mom = float(group["momentum"])
            damp = 1.0 - float(group["dampening"])
            wd = float(group["weight_decay"])
            maximize = bool(group["maximize"])
            nesterov = bool(group["nesterov"])
            for p in group["params"]:
                gt = p.grad
                if gt is None:
                    continue
                pd = p.data
                g = gt.data
                if g.shape != pd.shape:
                    raise _grad_shape_error("SGD", g, pd)
                xp = _xp(pd)
                s, e = scratch(pd, 2)
                if wd or maximize:
                    g = _apply_decay(xp, g, pd, wd, maximize, e)
                if mom:
                    st = state[p]
                    buf = st.get("momentum_buffer")
                    if buf is None:
                        b = g.copy(order="K")
                        st["momentum_buffer"] = Tensor._make(b)
                    else:
                        b = buf.data
                        b *= mom
                        if damp != 1.0:
                            xp.multiply(g, damp, out=s)
                            b += s
                        else:
                            b += g
                    if nesterov:
                        xp.multiply(b, mom, out=s)
                        s += g
                        g = s
                    else:
                        g = b
                xp.multiply(g, lr, out=s)
                pd += s
                p._vc[0] += 1
        return loss
