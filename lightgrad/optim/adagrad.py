"""Adaptive per-coordinate learning rates: ``Adagrad`` and ``Adadelta``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..tensor import Tensor
from .optimizer import Optimizer, _apply_decay, _check_flags, _grad_shape_error, _xp

__all__ = ["Adagrad", "Adadelta"]


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011): scale each coordinate by its accumulated squared gradients.

    .. math::
        \tilde\gamma_t = \frac{\gamma}{1 + (t-1)\eta},\quad
        s_t = s_{t-1} + g_t^2,\quad
        \theta_t = \theta_{t-1} - \tilde\gamma_t \frac{g_t}{\sqrt{s_t} + \epsilon}

    with :math:`g_t` the gradient (negated if ``maximize``, plus :math:`\lambda\theta_{t-1}`)
    and :math:`s_0` = ``initial_accumulator_value``.

    Args:
        params: tensors or parameter groups (dicts) to optimize.
        lr: learning rate :math:`\gamma` (default 1e-2).
        lr_decay: learning-rate decay :math:`\eta` (default 0).
        weight_decay: L2 penalty :math:`\lambda` (default 0).
        initial_accumulator_value: starting value of the sums :math:`s_0` (default 0).
        eps: :math:`\epsilon` (default 1e-10).
        maximize: maximize the objective.
        foreach, fused: accepted for PyTorch compatibility and ignored.
        differentiable: must be False.

    State (per parameter, created at construction as in PyTorch): ``step``, ``sum``.

    Example:
        >>> import lightgrad
        >>> w = lightgrad.nn.Parameter(lightgrad.tensor([1.0, -2.0]))
        >>> opt = lightgrad.optim.Adagrad([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()  # the first step is lr * sign(g)
        >>> w
        Parameter containing:
        tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(self, params: Any, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(
                f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_flags("Adagrad", differentiable)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "fused": fused}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p, group)

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        st = self.state[p]
        st["step"] = 0.0
        pd = p.data
        st["sum"] = Tensor._make(_xp(pd).full_like(pd, float(group["initial_accumulator_value"])))
        return st

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One Adagrad update of every parameter that has a gradient; returns ``closure()``'s
        loss if a closure is given."""
        loss = self._closure_loss(closure)
        state = self.state
        scratch = self._scratch
        for group in self.param_groups:
            lr = float(group["lr"])
            lr_decay = float(group["lr_decay"])
            eps = float(group["eps"])
            wd = float(group["weight_decay"])
            maximize = bool(group["maximize"])
            for p in group["params"]:
                gt = p.grad
                if gt is None:
                    continue
                pd = p.data
                g = gt.data
                if g.shape != pd.shape:
                    raise _grad_shape_error("Adagrad", g, pd)
                xp = _xp(pd)
                st = state[p]
                if not st:  # a group added after construction
                    st = self._init_state(p, group)
                step = st["step"] + 1.0
                st["step"] = step
                s, e = scratch(pd, 2)
                if wd or maximize:
                    g = _apply_decay(xp, g, pd, wd, maximize, e)
                acc = st["sum"].data
                xp.multiply(g, g, out=s)
                acc += s
                xp.sqrt(acc, out=s)
                s += eps
                xp.divide(g, s, out=s)
                s *= -lr / (1.0 + (step - 1.0) * lr_decay)
                pd += s
                p._vc[0] += 1
        return loss


class Adadelta(Optimizer):
    r"""Adadelta (Zeiler, 2012): step sizes from running averages of squared gradients and
    squared updates.

    .. math::
        v_t = \rho v_{t-1} + (1-\rho) g_t^2,\quad
        \Delta_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}}\, g_t,\quad
        u_t = \rho u_{t-1} + (1-\rho)\Delta_t^2,\quad
        \theta_t = \theta_{t-1} - \gamma\Delta_t

    Args:
        params: tensors or parameter groups (dicts) to optimize.
        lr: coefficient :math:`\gamma` scaling the update (default 1.0).
        rho: running-average coefficient :math:`\rho` (default 0.9).
        eps: :math:`\epsilon` for numerical stability (default 1e-6).
        weight_decay: L2 penalty (default 0).
        maximize: maximize the objective.
        foreach, capturable: accepted for PyTorch compatibility and ignored.
        differentiable: must be False.

    State (per parameter): ``step``, ``square_avg``, ``acc_delta``.

    Example:
        >>> import lightgrad
        >>> w = lightgrad.nn.Parameter(lightgrad.tensor([1.0]))
        >>> opt = lightgrad.optim.Adadelta([w])
        >>> (w * w).sum().backward()
        >>> opt.step()  # sqrt(eps) / sqrt(0.1 * 4 + eps) * 2
        >>> round(w.item(), 5)
        0.99684
    """

    def __init__(self, params: Any, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *,
                 capturable: bool = False, maximize: bool = False,
                 differentiable: bool = False) -> None:
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_flags("Adadelta", differentiable)
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay,
                    "maximize": maximize, "capturable": capturable, "foreach": foreach,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One Adadelta update of every parameter that has a gradient; returns
        ``closure()``'s loss if a closure is given."""
        loss = self._closure_loss(closure)
        state = self.state
        scratch = self._scratch
        zeros = self._zeros
        for group in self.param_groups:
            lr = float(group["lr"])
            rho = float(group["rho"])
            w = 1.0 - rho
            eps = float(group["eps"])
            wd = float(group["weight_decay"])
            maximize = bool(group["maximize"])
            for p in group["params"]:
                gt = p.grad
                if gt is None:
                    continue
                pd = p.data
                g = gt.data
                if g.shape != pd.shape:
                    raise _grad_shape_error("Adadelta", g, pd)
                xp = _xp(pd)
                st = state[p]
                if not st:
                    st["step"] = 0.0
                    st["square_avg"] = zeros(pd)
                    st["acc_delta"] = zeros(pd)
                st["step"] += 1.0
                s, e, delta = scratch(pd, 3)
                if wd or maximize:
                    g = _apply_decay(xp, g, pd, wd, maximize, e)
                v = st["square_avg"].data
                u = st["acc_delta"].data
                v *= rho
                xp.multiply(g, w, out=s)
                s *= g
                v += s
                xp.add(v, eps, out=s)
                xp.sqrt(s, out=s)  # std
                xp.add(u, eps, out=delta)
                xp.sqrt(delta, out=delta)
                delta /= s
                delta *= g
                u *= rho
                xp.multiply(delta, w, out=s)
                s *= delta
                u += s
                xp.multiply(delta, -lr, out=s)
                pd += s
                p._vc[0] += 1
        return loss
