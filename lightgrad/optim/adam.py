"""Adam and its relatives: ``Adam`` (with AMSGrad), ``AdamW``, ``Adamax``, ``NAdam``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .optimizer import Optimizer, _apply_decay, _check_flags, _grad_shape_error, _xp

__all__ = ["Adam", "AdamW", "Adamax", "NAdam"]


def _lerp_(xp: Any, m: Any, g: Any, w: float, s: Any) -> None:
    """``m += w * (g - m)`` in place (``torch.lerp_``'s two-sided formula), ``s`` is scratch."""
    xp.subtract(g, m, out=s)
    if w < 0.5:
        s *= w
        m += s
    else:
        s *= 1.0 - w
        xp.subtract(g, s, out=m)


def _check_betas(lr: Any, betas: Any, eps: float, weight_decay: float) -> None:
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if len(betas) != 2:
        raise ValueError(f"Invalid betas: expected two coefficients, got {betas}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015), optionally AMSGrad (Reddi et al., 2018).

    With :math:`g_t` the gradient (negated if ``maximize``; plus :math:`\lambda\theta_{t-1}`
    unless the decay is decoupled):

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\quad
        \theta_t = \theta_{t-1} - \frac{\gamma}{1-\beta_1^t}\,
            \frac{m_t}{\sqrt{\hat v_t}/\sqrt{1-\beta_2^t} + \epsilon}

    where :math:`\hat v_t = v_t`, or :math:`\max(\hat v_{t-1}, v_t)` with ``amsgrad``.

    Args:
        params: tensors or parameter groups (dicts) to optimize.
        lr: learning rate :math:`\gamma` (default 1e-3).
        betas: :math:`(\beta_1, \beta_2)` running-average coefficients (default (0.9, 0.999)).
        eps: :math:`\epsilon` added to the denominator (default 1e-8).
        weight_decay: :math:`\lambda` (default 0): an L2 penalty added to the gradient, or the
            AdamW decay :math:`\theta \leftarrow \theta(1-\gamma\lambda)` if
            ``decoupled_weight_decay``.
        amsgrad: use the AMSGrad maximum of second moments.
        maximize: maximize the objective.
        decoupled_weight_decay: apply the weight decay as AdamW does.
        foreach, capturable, fused: accepted for PyTorch compatibility and ignored.
        differentiable: must be False.

    State (per parameter): ``step``, ``exp_avg``, ``exp_avg_sq`` (and ``max_exp_avg_sq``).

    Example:
        >>> import lightgrad
        >>> w = lightgrad.nn.Parameter(lightgrad.tensor([1.0, -2.0]))
        >>> opt = lightgrad.optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()  # the first Adam step moves each weight by about lr
        >>> w
        Parameter containing:
        tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
        _check_betas(lr, betas, eps, weight_decay)
        _check_flags(type(self).__name__, differentiable)
        defaults = {"lr": lr, "betas": (float(betas[0]), float(betas[1])), "eps": eps,
                    "weight_decay": weight_decay, "amsgrad": amsgrad, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One Adam update of every parameter that has a gradient; returns ``closure()``'s
        loss if a closure is given."""
        loss = self._closure_loss(closure)
        state = self.state
        scratch = self._scratch
        zeros = self._zeros
        name = type(self).__name__
        for group in self.param_groups:
            lr = float(group["lr"])
            beta1, beta2 = group["betas"]
            beta1, beta2 = float(beta1), float(beta2)
            w1, w2 = 1.0 - beta1, 1.0 - beta2
            eps = float(group["eps"])
            wd = float(group["weight_decay"])
            amsgrad = bool(group["amsgrad"])
            maximize = bool(group["maximize"])
            decoupled = bool(group["decoupled_weight_decay"])
            l2 = 0.0 if decoupled else wd
            for p in group["params"]:
                gt = p.grad
                if gt is None:
                    continue
                pd = p.data
                g = gt.data
                if g.shape != pd.shape:
                    raise _grad_shape_error(name, g, pd)
                xp = _xp(pd)
                st = state[p]
                if not st:
                    st["step"] = 0.0
                    st["exp_avg"] = zeros(pd)
                    st["exp_avg_sq"] = zeros(pd)
                    if amsgrad:
                        st["max_exp_avg_sq"] = zeros(pd)
                step = st["step"] + 1.0
                st["step"] = step
                s, e = scratch(pd, 2)
                if l2 or maximize:
                    g = _apply_decay(xp, g, pd, l2, maximize, e)
                if decoupled and wd:
                    pd *= 1.0 - lr * wd
                m = st["exp_avg"].data
                v = st["exp_avg_sq"].data
                _lerp_(xp, m, g, w1, s)
                v *= beta2
                xp.multiply(g, w2, out=s)
                s *= g
                v += s
                if amsgrad:
                    vmax = st["max_exp_avg_sq"].data
                    xp.maximum(vmax, v, out=vmax)
                    v = vmax
                bc2_sqrt = (1.0 - beta2 ** step) ** 0.5
                step_size = lr / (1.0 - beta1 ** step)
                # m / (sqrt(v)/c + eps) == c * m / (sqrt(v) + eps*c): one pass fewer
                xp.sqrt(v, out=s)
                s += eps * bc2_sqrt
                xp.divide(m, s, out=s)
                s *= -step_size * bc2_sqrt
                pd += s
                p._vc[0] += 1
        return loss


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    Each step first shrinks the parameters, :math:`\theta \leftarrow \theta(1-\gamma\lambda)`,
    then applies the Adam update of the plain gradient: the decay does not pass through the
    moment estimates (unlike ``Adam(weight_decay=...)``, which is an L2 penalty).

    Args:
        params: tensors or parameter groups (dicts) to optimize.
        lr: learning rate (default 1e-3).
        betas: running-average coefficients (default (0.9, 0.999)).
        eps: term added to the denominator (default 1e-8).
        weight_decay: decoupled decay coefficient :math:`\lambda` (default 1e-2).
        amsgrad: use the AMSGrad maximum of second moments.
        maximize: maximize the objective.
        foreach, capturable, fused: accepted for PyTorch compatibility and ignored.
        differentiable: must be False.

    Example:
        >>> import lightgrad
        >>> w = lightgrad.nn.Parameter(lightgrad.tensor([1.0]))
        >>> opt = lightgrad.optim.AdamW([w], lr=0.1, weight_decay=0.5)
        >>> w.grad = lightgrad.tensor([0.0])  # no gradient: only the decay acts
        >>> opt.step()
        >>> w
        Parameter containing:
        tensor([0.9500], requires_grad=True)
    """

    def __init__(self, params: Any, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def _fix_loaded_groups(self, groups: list[dict[str, Any]]) -> None:
        for group in groups:  # AdamW is always decoupled, whatever the loaded dict says
            group["decoupled_weight_decay"] = True


class Adamax(Optimizer):
    r"""Adamax: Adam with the infinity norm (Kingma & Ba, 2015, section 7).

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad
        u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon),\quad
        \theta_t = \theta_{t-1} - \frac{\gamma}{1-\beta_1^t}\frac{m_t}{u_t}

    Args:
        params: tensors or parameter groups (dicts) to optimize.
        lr: learning rate :math:`\gamma` (default 2e-3).
        betas: :math:`(\beta_1, \beta_2)` (default (0.9, 0.999)).
        eps: :math:`\epsilon` (default 1e-8).
        weight_decay: L2 penalty added to the gradient (default 0).
        maximize: maximize the objective.
        foreach, capturable: accepted for PyTorch compatibility and ignored.
        differentiable: must be False.

    State (per parameter): ``step``, ``exp_avg``, ``exp_inf``.

    Example:
        >>> import lightgrad
        >>> w = lightgrad.nn.Parameter(lightgrad.tensor([1.0, -2.0]))
        >>> opt = lightgrad.optim.Adamax([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        Parameter containing:
        tensor([ 0.9000, -1.9000], requires_grad=True)
    """

    def __init__(self, params: Any, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        _check_betas(lr, betas, eps, weight_decay)
        _check_flags("Adamax", differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One Adamax update of every parameter that has a gradient; returns ``closure()``'s
        loss if a closure is given."""
        loss = self._closure_loss(closure)
        state = self.state
        scratch = self._scratch
        zeros = self._zeros
        for group in self.param_groups:
            lr = float(group["lr"])
            beta1, beta2 = group["betas"]
            beta1, beta2 = float(beta1), float(beta2)
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
                    raise _grad_shape_error("Adamax", g, pd)
                xp = _xp(pd)
                st = state[p]
                if not st:
                    st["step"] = 0.0
                    st["exp_avg"] = zeros(pd)
                    st["exp_inf"] = zeros(pd)
                step = st["step"] + 1.0
                st["step"] = step
                s, e = scratch(pd, 2)
                if wd or maximize:
                    g = _apply_decay(xp, g, pd, wd, maximize, e)
                m = st["exp_avg"].data
                u = st["exp_inf"].data
                _lerp_(xp, m, g, 1.0 - beta1, s)
                u *= beta2
                xp.abs(g, out=s)
                s += eps
                xp.maximum(u, s, out=u)
                xp.divide(m, u, out=s)
                s *= -lr / (1.0 - beta1 ** step)
                pd += s
                p._vc[0] += 1
        return loss


class NAdam(Optimizer):
    r"""NAdam: Adam with Nesterov momentum (Dozat, 2016), with the momentum schedule
    :math:`\mu_t = \beta_1(1 - \tfrac12 0.96^{t\psi})` (:math:`\psi` = ``momentum_decay``).

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\quad
        d_t = \sqrt{v_t/(1-\beta_2^t)} + \epsilon

    .. math::
        \theta_t = \theta_{t-1}
            - \gamma\frac{1-\mu_t}{1-\prod_{i\le t}\mu_i}\frac{g_t}{d_t}
            - \gamma\frac{\mu_{t+1}}{1-\prod_{i\le t+1}\mu_i}\frac{m_t}{d_t}

    Args:
        params: tensors or parameter groups (dicts) to optimize.
        lr: learning rate :math:`\gamma` (default 2e-3).
        betas: :math:`(\beta_1, \beta_2)` (default (0.9, 0.999)).
        eps: :math:`\epsilon` (default 1e-8).
        weight_decay: L2 penalty (default 0), or AdamW-style decay if
            ``decoupled_weight_decay``.
        momentum_decay: :math:`\psi` (default 4e-3).
        decoupled_weight_decay: decay the weights directly (NAdamW).
        maximize: maximize the objective.
        foreach, capturable: accepted for PyTorch compatibility and ignored.
        differentiable: must be False.

    State (per parameter): ``step``, ``mu_product`` (a Python float), ``exp_avg``,
    ``exp_avg_sq``.

    Example:
        >>> import lightgrad
        >>> w = lightgrad.nn.Parameter(lightgrad.tensor([1.0]))
        >>> opt = lightgrad.optim.NAdam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> round(w.item(), 4)
        0.8944
    """

    def __init__(self, params: Any, lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        _check_betas(lr, betas, eps, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        _check_flags("NAdam", differentiable)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay,
                    "decoupled_weight_decay": decoupled_weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One NAdam update of every parameter that has a gradient; returns ``closure()``'s
        loss if a closure is given."""
        loss = self._closure_loss(closure)
        state = self.state
        scratch = self._scratch
        zeros = self._zeros
        for group in self.param_groups:
            lr = float(group["lr"])
            beta1, beta2 = group["betas"]
            beta1, beta2 = float(beta1), float(beta2)
            eps = float(group["eps"])
            wd = float(group["weight_decay"])
            psi = float(group["momentum_decay"])
            maximize = bool(group["maximize"])
            decoupled = bool(group["decoupled_weight_decay"])
            l2 = 0.0 if decoupled else wd
            for p in group["params"]:
                gt = p.grad
                if gt is None:
                    continue
                pd = p.data
                g = gt.data
                if g.shape != pd.shape:
                    raise _grad_shape_error("NAdam", g, pd)
                xp = _xp(pd)
                st = state[p]
                if not st:
                    st["step"] = 0.0
                    st["mu_product"] = 1.0
                    st["exp_avg"] = zeros(pd)
                    st["exp_avg_sq"] = zeros(pd)
                step = st["step"] + 1.0
                st["step"] = step
                s, e, t = scratch(pd, 3)
                if l2 or maximize:
                    g = _apply_decay(xp, g, pd, l2, maximize, e)
                if decoupled and wd:
                    pd *= 1.0 - lr * wd
                mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * psi))
                mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1.0) * psi))
                mu_product = float(st["mu_product"]) * mu
                st["mu_product"] = mu_product
                m = st["exp_avg"].data
                v = st["exp_avg_sq"].data
                _lerp_(xp, m, g, 1.0 - beta1, s)
                v *= beta2
                xp.multiply(g, 1.0 - beta2, out=s)
                s *= g
                v += s
                xp.divide(v, 1.0 - beta2 ** step, out=s)
                xp.sqrt(s, out=s)
                s += eps  # the denominator d_t
                xp.divide(g, s, out=t)
                t *= -lr * (1.0 - mu) / (1.0 - mu_product)
                pd += t
                xp.divide(m, s, out=t)
                t *= -lr * mu_next / (1.0 - mu_product * mu_next)
                pd += t
                p._vc[0] += 1
        return loss
