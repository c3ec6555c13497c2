"""``Optimizer``: the base class of every optimizer (``torch.optim.Optimizer``).

An optimizer holds *parameter groups* (dicts with a ``"params"`` list and the hyperparameters
for those parameters) and a per-parameter ``state`` dict. ``step()`` updates the parameters in
place from their ``.grad``. Updates work on the raw arrays (``p.data``, ``p.grad.data``) with
ufunc ``out=`` arguments and reused scratch buffers: no graph is recorded and no
parameter-sized array is allocated per step once the state exists.

State names, group keys, ``state_dict()`` layout and error messages follow PyTorch, so code and
checkpoints port over: a ``torch.optim`` state dict loads into the matching lightgrad optimizer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from copy import deepcopy
from itertools import chain
from typing import Any

import numpy as np

from .. import backend
from ..autograd.grad_mode import enable_grad
from ..tensor import Tensor

__all__ = ["Optimizer", "required"]

_xp = backend.get_array_module

# state entries that are Python numbers, not arrays (PyTorch keeps them in 0-d tensors)
_SCALAR_STATE = frozenset({"step", "mu_product"})


class _RequiredParameter:
    """Singleton marking a hyperparameter without a default (``torch.optim.optimizer.required``)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def _is_array_like(value: Any) -> bool:
    if isinstance(value, Tensor | np.ndarray):
        return True
    if backend.get_array_module(value) is not np:  # a CuPy array
        return True
    return hasattr(value, "detach") and hasattr(value, "numpy")  # e.g. a torch.Tensor


def _host_or_device_array(value: Any) -> Any:
    """The array behind a lightgrad tensor, NumPy/CuPy array or foreign tensor (``.numpy()``)."""
    if isinstance(value, Tensor):
        return value.data
    if hasattr(value, "detach") and hasattr(value, "numpy"):
        return np.asarray(value.detach().cpu().numpy())
    return value


def _apply_decay(xp: Any, g: Any, pd: Any, wd: float, maximize: bool, out: Any) -> Any:
    """The gradient the update uses: ``-g`` if maximizing, plus ``wd * p`` (L2 weight decay).

    Written into ``out`` (the caller's gradient is never modified)."""
    if wd:
        xp.multiply(pd, wd, out=out)
        if maximize:
            xp.subtract(out, g, out=out)
        else:
            out += g
        return out
    return xp.negative(g, out=out)


def _grad_shape_error(name: str, g: Any, pd: Any) -> RuntimeError:
    return RuntimeError(f"{name}.step: a parameter of shape {tuple(pd.shape)} has a gradient of "
                        f"shape {tuple(g.shape)}")


def _check_flags(name: str, differentiable: bool) -> None:
    """``foreach``/``fused``/``capturable`` only pick PyTorch kernels: lightgrad has one update
    path, so they are accepted and ignored. ``differentiable`` would need a graph through the
    update, which lightgrad does not record."""
    if differentiable:
        raise NotImplementedError(f"{name}: differentiable=True is not supported (lightgrad "
                                  "updates parameters in place without recording a graph)")


class Optimizer:
    """Base class for all optimizers.

    Args:
        params: an iterable of tensors to optimize, of ``(name, tensor)`` pairs, or of dicts
            (parameter groups): each dict has ``"params"`` and may override any default.
        defaults: default values of the hyperparameters, used by groups that don't set them.

    Attributes:
        param_groups: list of dicts, each with ``"params"`` (a list of tensors) and every
            hyperparameter (learning-rate schedulers edit ``group["lr"]``).
        state: per-parameter state, a dict of dicts keyed by the parameter tensor.
        defaults: the constructor's hyperparameters.

    Subclasses implement ``step(closure=None)``.

    Example:
        >>> import lightgrad
        >>> w = lightgrad.nn.Parameter(lightgrad.tensor([1.0, 2.0]))
        >>> b = lightgrad.nn.Parameter(lightgrad.tensor([0.0]))
        >>> opt = lightgrad.optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1)
        >>> [g["lr"] for g in opt.param_groups]
        [0.1, 0.5]
    """

    def __init__(self, params: Any, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        self._bufs: dict[Any, list[Any]] = {}
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(f"{name}: params argument given to the optimizer should be an "
                            "iterable of Tensors or dicts, but got lightgrad.Tensor")
        if isinstance(params, dict):
            params = [params]
        try:
            groups = list(params)
        except TypeError:
            raise TypeError(f"{name}: params argument given to the optimizer should be an "
                            f"iterable of Tensors or dicts, but got {type(params).__name__}"
                            ) from None
        if len(groups) == 0:
            raise ValueError(f"{name}: optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters (missing ones take the
        optimizer's defaults). Useful to unfreeze layers during fine-tuning.

        Raises:
            TypeError: the group is not a dict, its params are a set or hold a non-tensor.
            ValueError: a parameter is not a leaf, appears twice, or already belongs to
                another group; a required hyperparameter is missing.
        """
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}.add_param_group: param_group must be a dict, but got "
                            f"{type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{name}.add_param_group: param_group has no 'params' entry "
                             f"(keys: {sorted(param_group)})")
        params = param_group["params"]  # the dict itself becomes the group, as in PyTorch
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(f"{name}: optimizer parameters need to be organized in ordered "
                            "collections, but the ordering of tensors in sets will change "
                            "between runs. Please use a list instead.")
        else:
            params = list(params)
        tensors, names = [], []
        for p in params:
            if isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str):
                names.append(p[0])
                p = p[1]
            tensors.append(p)
        if names:
            if len(names) != len(tensors):
                raise ValueError(f"{name}: all optimizer params should be with/without names. "
                                 "Some param names are missing")
            param_group["param_names"] = names
        for i, p in enumerate(tensors):
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: optimizer can only optimize Tensors, but one of the "
                                f"params (index {i}) is {type(p).__name__}")
            if p.grad_fn is not None and not p.retains_grad:
                raise ValueError(f"{name}: can't optimize a non-leaf Tensor (params index {i}, "
                                 f"shape {tuple(p.shape)})")
        param_group["params"] = tensors
        for key, default in self.defaults.items():
            if default is required and key not in param_group:
                raise ValueError(f"{name}: parameter group didn't specify a value of required "
                                 f"optimization parameter {key}")
            param_group.setdefault(key, default)
        ids = {id(p) for p in tensors}
        if len(ids) != len(tensors):
            raise ValueError(f"{name}: a parameter group contains the same parameter twice")
        for group in self.param_groups:
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError(f"{name}: all optimizer param groups should be with/without "
                                 f"names. cannot add param group {which} to the optimizer")
            if any(id(p) in ids for p in group["params"]):
                raise ValueError(f"{name}: some parameters appear in more than one parameter "
                                 "group")
        self.param_groups.append(param_group)

    # ------------------------------------------------------------------ step helpers
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update the parameters from their gradients; ``closure`` (optional) re-evaluates the
        model with gradients enabled and returns the loss, which ``step`` returns."""
        raise NotImplementedError(f"{type(self).__name__}.step is not implemented")

    @staticmethod
    def _closure_loss(closure: Callable[[], Any] | None) -> Any:
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def _scratch(self, arr: Any, n: int) -> list[Any]:
        """``n`` reusable work arrays shaped like ``arr`` (shared by same-shaped parameters)."""
        key: tuple[Any, ...] = (arr.shape, arr.dtype, type(arr))
        if type(arr) is not np.ndarray:
            key += (backend.device_of(arr),)
        bufs = self._bufs.get(key)
        if bufs is None or len(bufs) < n:
            xp = _xp(arr)
            bufs = (bufs or []) + [xp.empty_like(arr) for _ in range(n - len(bufs or []))]
            self._bufs[key] = bufs
        return bufs if len(bufs) == n else bufs[:n]

    @staticmethod
    def _zeros(pd: Any) -> Tensor:
        return Tensor._make(_xp(pd).zeros_like(pd))

    # ------------------------------------------------------------------ gradients
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized parameters.

        Args:
            set_to_none: set ``.grad`` to ``None`` (default) instead of filling it with zeros.
                A parameter whose ``.grad`` is ``None`` is skipped by ``step()``; one with a zero
                gradient is still updated (momentum, weight decay).
        """
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g._rg = False
                    g.data.fill(0)
                    g._vc[0] += 1

    # ------------------------------------------------------------------ (de)serialization
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as a dict, laid out like PyTorch's.

        * ``"state"``: per-parameter state keyed by integer ids (the parameter's position across
          the groups), e.g. ``{0: {"step": 3.0, "exp_avg": tensor(...), ...}}``;
        * ``"param_groups"``: the groups' hyperparameters with ``"params"`` as lists of ids.

        As in PyTorch the state tensors are references, not copies: save the dict
        (:func:`lightgrad.save`) or ``copy.deepcopy`` it to keep a snapshot.
        """
        mapping: dict[int, int] = {}
        start = 0
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v
                 for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state produced by :meth:`state_dict` (of lightgrad or of the matching
        ``torch.optim`` optimizer).

        The groups are matched in order and must have the same sizes. State arrays are copied
        and cast to their parameter's dtype and device; ``step`` becomes a Python number.

        Raises:
            ValueError: the dict lacks ``state``/``param_groups``, the number or sizes of the
                groups differ, or a state array's shape differs from its parameter's.
        """
        name = type(self).__name__
        if not isinstance(state_dict, dict) or "state" not in state_dict \
                or "param_groups" not in state_dict:
            got = sorted(map(str, state_dict)) if isinstance(state_dict, dict) \
                else type(state_dict).__name__
            raise ValueError(f"{name}.load_state_dict: expected a dict with 'state' and "
                             f"'param_groups' (from Optimizer.state_dict()), got {got}")
        groups = self.param_groups
        saved_groups = deepcopy(list(state_dict["param_groups"]))
        if len(groups) != len(saved_groups):
            raise ValueError(f"{name}.load_state_dict: loaded state dict has a different number "
                             f"of parameter groups ({len(saved_groups)}, the optimizer has "
                             f"{len(groups)})")
        own = [len(g["params"]) for g in groups]
        saved = [len(g["params"]) for g in saved_groups]
        if own != saved:
            raise ValueError(f"{name}.load_state_dict: loaded state dict contains a parameter "
                             f"group that doesn't match the size of optimizer's group (group "
                             f"sizes {saved}, the optimizer's are {own})")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups), strict=True))
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for k, v in state_dict["state"].items():
            key = int(k) if isinstance(k, str) and k.isdigit() else k
            if key in id_map:
                state[id_map[key]] = self._cast_state(id_map[key], v, key)
            else:
                state[k] = v
        for group, new in zip(groups, saved_groups, strict=True):
            new["params"] = group["params"]
            if "param_names" in group and "param_names" not in new:
                new["param_names"] = group["param_names"]
            for key, default in self.defaults.items():
                new.setdefault(key, default)
        self._fix_loaded_groups(saved_groups)
        self.state = state
        self.param_groups = saved_groups

    def _fix_loaded_groups(self, groups: list[dict[str, Any]]) -> None:
        """Hook for subclasses to enforce group options after loading (AdamW)."""

    def _cast_state(self, param: Tensor, value: Any, pid: Any, key: Any = None) -> Any:
        """A copy of ``value`` with arrays on ``param``'s device and dtype (floating only)."""
        if key in _SCALAR_STATE and _is_array_like(value):
            arr = _host_or_device_array(value)
            return float(arr.item() if hasattr(arr, "item") else arr)
        if _is_array_like(value):
            arr = _host_or_device_array(value)
            pd = param.data
            arr = backend.to_device(arr, backend.device_of(pd))
            dtype = pd.dtype if pd.dtype.kind == "f" and arr.dtype.kind == "f" else arr.dtype
            arr = arr.astype(dtype, copy=True)
            if arr.shape != pd.shape:
                raise ValueError(f"{type(self).__name__}.load_state_dict: state {key!r} of "
                                 f"parameter {pid} has shape {tuple(arr.shape)}, but the "
                                 f"parameter has shape {tuple(pd.shape)}")
            return Tensor._make(arr)
        if isinstance(value, dict):
            return {k: self._cast_state(param, v, pid, k) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self._cast_state(param, v, pid) for v in value)
        return value

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        s = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        return s + ")"

    def __getstate__(self) -> dict[str, Any]:
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._bufs = {}
