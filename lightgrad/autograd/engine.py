"""The backward pass: one iterative walk over the recorded graph in topological order.

Gradients are raw arrays inside the walk; they become tensors only when stored in ``.grad`` or
passed to hooks. Broadcasting is undone in exactly one place (:func:`unbroadcast`), and every
gradient an op returns is checked against its input's shape and dtype with the op named.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..tensor import Tensor
from .function import Function, refresh_view
from .grad_mode import _state, no_grad

_ndarray = np.ndarray


def _as_grad(g: Any) -> Any:
    """A gradient as an array: unwrap a Tensor; 0-d NumPy arithmetic returns scalars."""
    if isinstance(g, Tensor):
        g = g.data
    return np.asarray(g) if isinstance(g, np.generic) else g


def unbroadcast(grad: Any, shape: tuple) -> Any:
    """Sum ``grad`` down to ``shape`` (the inverse of broadcasting ``shape`` to ``grad.shape``)."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra < 0:
        return grad
    axes = tuple(range(extra)) + tuple(
        i + extra for i, s in enumerate(shape) if s == 1 and grad.shape[i + extra] != 1
    )
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if extra:
        grad = grad.reshape(grad.shape[extra:])
    return grad


def _target(p: Any) -> tuple:
    if isinstance(p, Function):
        return p._shape, p._dtype
    return p.data.shape, p.data.dtype


def _check(node: Function, i: int, g: Any, shape: tuple, dtype: Any) -> Any:
    if g.shape != shape:
        g = unbroadcast(g, shape)
        if g.shape != shape:
            raise RuntimeError(f"{type(node).__name__}.backward returned an invalid gradient for "
                               f"input {i}: got shape {tuple(g.shape)} but expected shape "
                               f"{tuple(shape)}")
    if g.dtype != dtype:
        raise RuntimeError(f"{type(node).__name__}.backward returned an invalid gradient for "
                           f"input {i}: got dtype {g.dtype} but expected dtype {dtype}")
    return g


def _run_hooks(hooks: list, g: Any) -> Any:
    for hook in hooks:
        r = hook(Tensor._make(g))
        if r is not None:
            if not isinstance(r, Tensor):
                raise TypeError(f"hook {hook!r} returned {type(r).__name__}, expected a Tensor "
                                "or None")
            if r.data.shape != g.shape:
                raise RuntimeError(f"hook {hook!r} changed the gradient's shape from "
                                   f"{tuple(g.shape)} to {tuple(r.data.shape)}")
            g = r.data
    return g


def run_backward(
    roots: Sequence[Tensor],
    grads: Sequence[Any],
    retain_graph: bool = False,
    capture: Sequence[Tensor] | None = None,
    allow_unused: bool = False,
) -> list | None:
    """Propagate ``grads`` (arrays) from ``roots`` back to the leaves.

    Without ``capture`` the leaves' ``.grad`` accumulate. With ``capture`` (``autograd.grad``),
    nothing is accumulated and the gradients of the ``capture`` tensors are returned.
    """
    captured: dict[int, Any] = {}
    cap_nodes: dict[int, int] = {}
    cap_leaves: dict[int, int] = {}
    if capture is not None:
        for k, t in enumerate(capture):
            if t.grad_fn is not None:
                cap_nodes[id(t.grad_fn)] = k
            else:
                cap_leaves[id(t)] = k

    # 1. count, for every node reachable from the roots, how many edges point at it
    deps: dict[Function, int] = {}
    leaf_grads: dict[int, list] = {}  # id(leaf) -> [leaf, summed grad]
    start: dict[Function, Any] = {}
    for root, g in zip(roots, grads):
        node = root.grad_fn
        if node is None:
            if root._rg:
                _accumulate_leaf(leaf_grads, root, g)
            continue
        start[node] = g if node not in start else start[node] + g
    stack = list(start)
    seen = set(stack)
    while stack:
        node = stack.pop()
        nxt = node.next
        if nxt is None:
            raise RuntimeError(
                f"{type(node).__name__}: trying to backward through the graph a second time "
                "(or directly access saved tensors after they have already been freed). Saved "
                "intermediate values of the graph are freed when you call .backward() or "
                "autograd.grad(). Specify retain_graph=True if you need to backward through the "
                "graph a second time."
            )
        for p in nxt:
            if p is not None and p.__class__ is not Tensor and isinstance(p, Function):
                deps[p] = deps.get(p, 0) + 1
                if p not in seen:
                    seen.add(p)
                    stack.append(p)

    # 2. Kahn's algorithm: a node runs once all of its consumers have sent their gradient
    pending: dict[Function, Any] = dict(start)
    ready = [n for n in start if n not in deps]
    with no_grad():
        while ready:
            node = ready.pop()
            g = pending.pop(node, None)
            nxt = node.next
            if g is not None:
                if g.__class__ is not _ndarray:
                    g = _as_grad(g)
                if node._hooks:
                    g = _run_hooks(node._hooks, g)
                if node._retained is not None and capture is None:
                    t = node._retained()
                    if t is not None:
                        t.grad = Tensor._make(g.copy()) if t.grad is None else \
                            Tensor._make(t.grad.data + g)
                if capture is not None and id(node) in cap_nodes:
                    captured[cap_nodes[id(node)]] = g
                for vc, v, what in node._saved_versions:
                    if vc[0] != v:
                        raise RuntimeError(
                            f"one of the variables needed for gradient computation has been "
                            f"modified by an inplace operation: the {what} saved by "
                            f"{type(node).__name__} is at version {vc[0]}; expected version "
                            f"{v} instead."
                        )
                in_grads = type(node).backward(node, g)
                if not isinstance(in_grads, tuple):
                    in_grads = (in_grads,)
                if len(in_grads) < len(nxt):  # type: ignore[arg-type]
                    raise RuntimeError(f"{type(node).__name__}.backward returned {len(in_grads)} "
                                       f"gradients but forward had {len(nxt)} inputs")  # type: ignore[arg-type]
            else:
                in_grads = (None,) * len(nxt)  # type: ignore[arg-type]
            for i, p in enumerate(nxt):  # type: ignore[arg-type]
                if p is None:
                    continue
                gi = in_grads[i]
                if gi is not None:
                    if gi.__class__ is not _ndarray:
                        gi = _as_grad(gi)
                    shape, dtype = _target(p)
                    if gi.shape != shape or gi.dtype != dtype:
                        gi = _check(node, i, gi, shape, dtype)
                if p.__class__ is Tensor or not isinstance(p, Function):
                    if gi is not None:
                        _accumulate_leaf(leaf_grads, p, gi)
                    continue
                if gi is not None:
                    prev = pending.get(p)
                    pending[p] = gi if prev is None else prev + gi
                left = deps[p] - 1
                deps[p] = left
                if left == 0:
                    ready.append(p)
            if not retain_graph:
                node.next = None
                node.saved_tensors = ()

    # 3. leaves: hooks, then accumulate into .grad (or capture)
    handed = {id(g) for g in grads}  # the caller's gradient arrays are never handed out
    for leaf, g in leaf_grads.values():
        if g.__class__ is not _ndarray:
            g = _as_grad(g)
        if leaf._hooks:
            g = _run_hooks(leaf._hooks, g)
        if capture is not None:
            if id(leaf) in cap_leaves:
                captured[cap_leaves[id(leaf)]] = g
            continue
        if leaf.grad is None:
            # own the buffer: a gradient may be shared with another leaf or be a view
            if id(g) in handed or g.base is not None or not g.flags.writeable:
                g = g.copy()
            handed.add(id(g))
            leaf.grad = Tensor._make(g)
        else:
            if leaf.grad.data.shape != g.shape:
                raise RuntimeError(f"backward: existing .grad of shape {leaf.grad.shape} does "
                                   f"not match the gradient's shape {tuple(g.shape)}")
            leaf.grad.data += g
    if capture is None:
        return None
    out = []
    for k, t in enumerate(capture):
        if k not in captured and not allow_unused:
            raise RuntimeError(f"autograd.grad: input {k} (shape {tuple(t.shape)}) was not used "
                               "in the graph; set allow_unused=True if this is desired")
        out.append(captured.get(k))
    return out


def _accumulate_leaf(leaf_grads: dict, leaf: Tensor, g: Any) -> None:
    entry = leaf_grads.get(id(leaf))
    if entry is None:
        leaf_grads[id(leaf)] = [leaf, g]
    else:
        entry[1] = entry[1] + g


def _grad_array(t: Tensor, gradient: Any, op: str) -> Any:
    if gradient is None:
        if t.data.size != 1:
            raise RuntimeError(f"{op}: grad can be implicitly created only for scalar outputs; "
                               f"the output has shape {tuple(t.shape)}, pass gradient=")
        return t.data.__array_namespace__().ones_like(t.data)
    g = gradient.data if isinstance(gradient, Tensor) else np.asarray(gradient, dtype=t.dtype)
    if g.shape != t.data.shape:
        raise RuntimeError(f"{op}: gradient has shape {tuple(g.shape)} but the output has shape "
                           f"{tuple(t.shape)}")
    if g.dtype != t.data.dtype:
        g = g.astype(t.data.dtype)
    return g


def tensor_backward(self: Tensor, gradient: Any = None, retain_graph: bool | None = None,
                    create_graph: bool = False, inputs: Any = None) -> None:
    """Compute the gradient of this tensor w.r.t. the graph leaves, accumulated in ``.grad``."""
    if create_graph:
        raise NotImplementedError("backward(create_graph=True): lightgrad computes first-order "
                                  "gradients only (see docs/design.md)")
    if inputs is not None:
        raise NotImplementedError("backward(inputs=...): use lightgrad.autograd.grad instead")
    if not self._rg:
        raise RuntimeError("backward: element 0 of tensors does not require grad and does not "
                           "have a grad_fn")
    if self._base is not None and self._vver != self._vc[0]:
        refresh_view(self)
    g = _grad_array(self, gradient, "backward")
    run_backward([self], [g], retain_graph=bool(retain_graph))


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool | None = None,
         materialize_grads: bool = False) -> tuple:
    """Gradients of ``outputs`` w.r.t. ``inputs``, returned (not accumulated in ``.grad``)."""
    if create_graph:
        raise NotImplementedError("autograd.grad(create_graph=True): lightgrad computes "
                                  "first-order gradients only (see docs/design.md)")
    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None:
        gos: list = [None] * len(outs)
    else:
        gos = [grad_outputs] if isinstance(grad_outputs, Tensor) else list(grad_outputs)
    if len(gos) != len(outs):
        raise ValueError(f"autograd.grad: got {len(gos)} grad_outputs for {len(outs)} outputs")
    for k, t in enumerate(ins):
        if not isinstance(t, Tensor) or not t._rg:
            raise RuntimeError(f"autograd.grad: input {k} does not require grad")
    for k, o in enumerate(outs):
        if not o._rg:
            raise RuntimeError(f"autograd.grad: output {k} does not require grad and does not "
                               "have a grad_fn")
    garrs = [_grad_array(o, go, "autograd.grad") for o, go in zip(outs, gos)]
    res = run_backward(outs, garrs, retain_graph=bool(retain_graph), capture=ins,
                       allow_unused=bool(allow_unused) or materialize_grads)
    assert res is not None
    out = []
    for t, g in zip(ins, res):
        if g is None and materialize_grads:
            g = t.data.__array_namespace__().zeros_like(t.data)
        out.append(None if g is None else Tensor._make(g))
    return tuple(out)


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False) -> None:
    """``torch.autograd.backward``: backward from several tensors at once."""
    if create_graph:
        raise NotImplementedError("autograd.backward(create_graph=True): first-order only")
    outs = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None:
        gts: list = [None] * len(outs)
    else:
        gts = [grad_tensors] if isinstance(grad_tensors, Tensor) else list(grad_tensors)
    garrs = [_grad_array(o, g, "autograd.backward") for o, g in zip(outs, gts)]
    run_backward(outs, garrs, retain_graph=bool(retain_graph))


Tensor.backward = tensor_backward  # type: ignore[attr-defined]
_ = _state
