"""RMSprop (Hinton, lecture 6e), optionally centered and with momentum."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .adam import _lerp_
from .optimizer import Optimizer, _apply_decay, _check_flags, _grad_shape_error, _xp

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop: divide the gradient by a running root mean square of recent gradients.

    With :math:`g_t` the gradient (negated if ``maximize``, plus :math:`\lambda\theta_{t-1}`):

    .. math::
        v_t = \alpha v_{t-1} + (1-\alpha) g_t^2,\quad
        d_t = \sqrt{v_t - \bar g_t^2} + \epsilon \text{ (centered, with }
        \bar g_t = \alpha \bar g_{t-1} + (1-\alpha) g_t\text{) or } \sqrt{v_t} + \epsilon

    .. math::
        b_t = \mu b_{t-1} + g_t/d_t,\ \theta_t = \theta_{t-1} - \gamma b_t
        \quad\text{(or } \theta_t = \theta_{t-1} - \gamma g_t/d_t \text{ without momentum)}

    Args:
        params: tensors or parameter groups (dicts) to optimize.
        lr: learning rate :math:`\gamma` (default 1e-2).
        alpha: smoothing constant :math:`\alpha` (default 0.99).
        eps: :math:`\epsilon` added to the denominator (default 1e-8).
        weight_decay: L2 penalty :math:`\lambda` (default 0).
        momentum: momentum factor :math:`\mu` (default 0).
        centered: normalize by an estimate of the gradient's variance instead of its second
            moment.
        maximize: maximize the objective.
        capturable, foreach: accepted for PyTorch compatibility and ignored.
        differentiable: must be False.

    State (per parameter): ``step``, ``square_avg``, ``momentum_buffer`` (if ``momentum > 0``),
    ``grad_avg`` (if ``centered``).

    Example:
        >>> import lightgrad
        >>> w = lightgrad.nn.Parameter(lightgrad.tensor([1.0, -2.0]))
        >>> opt = lightgrad.optim.RMSprop([w], lr=0.01)
        >>> (w * w).sum().backward()
        >>> opt.step()  # the first step is lr / sqrt(1 - alpha) = 0.1 per weight
        >>> w
        Parameter containing:
        tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(self, params: Any, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False,
                 capturable: bool = False, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        _check_flags("RMSprop", differentiable)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay, "capturable": capturable,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One RMSprop update of every parameter that has a gradient; returns ``closure()``'s
        loss if a closure is given."""
        loss = self._closure_loss(closure)
        state = self.state
        scratch = self._scratch
        zeros = self._zeros
        for group in self.param_groups:
            lr = float(group["lr"])
            alpha = float(group["alpha"])
            w = 1.0 - alpha
            eps = float(group["eps"])
            wd = float(group["weight_decay"])
            mom = float(group["momentum"])
            centered = bool(group["centered"])
            maximize = bool(group["maximize"])
            for p in group["params"]:
                gt = p.grad
                if gt is None:
                    continue
                pd = p.data
                g = gt.data
                if g.shape != pd.shape:
                    raise _grad_shape_error("RMSprop", g, pd)
                xp = _xp(pd)
                st = state[p]
                if not st:
                    st["step"] = 0.0
                    st["square_avg"] = zeros(pd)
                    if mom > 0:
                        st["momentum_buffer"] = zeros(pd)
                    if centered:
                        st["grad_avg"] = zeros(pd)
                st["step"] += 1.0
                s, e = scratch(pd, 2)
                if wd or maximize:
                    g = _apply_decay(xp, g, pd, wd, maximize, e)
                v = st["square_avg"].data
                v *= alpha
                xp.multiply(g, w, out=s)
                s *= g
                v += s
                if centered:
                    ga = st["grad_avg"].data
                    _lerp_(xp, ga, g, w, s)
                    xp.multiply(ga, ga, out=s)
                    xp.subtract(v, s, out=s)
                    xp.sqrt(s, out=s)
                else:
                    xp.sqrt(v, out=s)
                s += eps
                xp.divide(g, s, out=s)
                if mom > 0:
                    buf = st["momentum_buffer"].data
                    buf *= mom
                    buf += s
                    xp.multiply(buf, -lr, out=s)
                else:
                    s *= -lr
                pd += s
                p._vc[0] += 1
        return loss
