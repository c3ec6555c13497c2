"""Fused recurrent ops: whole-sequence RNN/LSTM/GRU layers with hand-written BPTT.

One layer in one direction over a whole sequence is ONE recorded node (:class:`RNNLayer`,
:class:`LSTMLayer`, :class:`GRULayer`), with PyTorch's equations and gate order:

* RNN: ``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``, ``act`` = tanh or relu;
* LSTM (gates ``i, f, g, o``): ``c_t = f * c_{t-1} + i * g``, ``h_t = o * tanh(c_t)`` (times
  ``W_hr^T`` with a projection);
* GRU (gates ``r, z, n``): ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``,
  ``h_t = (1 - z) * n + z * h_{t-1}``.

How it is fast:

* the input projection of every step is one GEMM ``(T*N, I) @ (I, G*H)`` before the loop (the
  biases folded in); the time loop only does the recurrent product ``h @ W_hh^T`` and the gate
  math, in place on preallocated buffers (the pre-activation buffer becomes the saved gate
  activations);
* sigmoids are computed as ``0.5 * tanh(a / 2) + 0.5`` with the ``1/2`` folded into a scaled
  copy of the weights (exact: a power of two), so all gates of a step take ONE ``tanh`` call;
  the gate rows are reordered internally (LSTM ``o, i, f, g``) so the sigmoid gates are one
  contiguous block;
* backward walks the steps once: each step's gate gradients are computed from that step's
  (cache-resident) activations and written into one ``(T*N, G*H)`` buffer, the recurrent
  gradient is one product with ``W_hh``, and after the loop each weight gradient is ONE GEMM
  over all the steps (``dW_ih = dA^T X``, ``dW_hh = dA^T H_prev``, ``db = sum(dA)``) and the input
  gradient another (``dX = dA W_ih``); the RNN's one factor ``1 - h^2`` is computed in bulk.
  Computing the LSTM's and GRU's gate-derivative factors step by step was measured faster
  than precomputing them in bulk over the whole sequence (LSTM fwd+bwd about 30%, GRU a few
  %): the bulk form streams ten sequence-sized arrays through memory.

Variable-length (packed) sequences run in the same loop: step ``t`` processes the first
``batch_sizes[t]`` rows (sequences sorted by decreasing length). The hidden states live in one
buffer of ``N + T*N`` rows (the initial state and the outputs), so the previous state of a step
is normally a slice of it; only in the reverse direction of a packed batch, at the steps where
new sequences start, is it a gather.

Multiple outputs: the engine records one output array per Function, so a layer Function returns
the output sequence and leaves its final states in a small side object (:class:`_Carry`);
:class:`RecurrentState` turns them into tensors (``h_n``, ``c_n``). Its backward parks the
gradient of ``h_n`` / ``c_n`` on the carry and sends a broadcast zero gradient to the layer's
output so that the layer node runs even when the loss depends on ``h_n`` only; the layer's
backward picks the parked gradients up (the engine's topological order runs the state nodes
first). The gradient of the output sequence itself is not changed by this (it is
``grad(out) + 0``).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from ..autograd.function import Function
from ..tensor import Tensor
from .activation import relu, sigmoid, tanh
from .linalg import _blas, linear
from .movement import chunk
from .operands import check_same_device, get_xp

__all__ = [
    "rnn_tanh", "rnn_relu", "lstm", "gru",
    "rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell",
]


# ----------------------------------------------------------------------------- schedules
class _Schedule:
    """Row layout of one direction of a layer over a (packed) sequence.

    The state buffer ``S`` has ``N + total`` rows: the outputs at ``base .. base + total`` (in
    packed order: step ``t`` at ``base + off[t]``, ``batch_sizes[t]`` rows) and the initial state
    at ``init .. init + N``. ``steps`` lists ``(off, bs, prev, rows)`` in processing order, where
    ``prev`` locates the step's previous state in ``S`` (an int: the start of a contiguous block
    of ``bs`` rows; else an index array) and ``rows = base + off``. ``prev_all`` and ``final``
    locate, in the same way, the previous states of all rows in packed order (for the ``W_hh``
    gradient) and each sequence's final state.
    """

    __slots__ = ("T", "N", "total", "reverse", "base", "init", "steps", "prev_all", "final",
                 "batch_sizes", "_dev")

    def __init__(self, T: int, N: int, batch_sizes: tuple[int, ...] | None, reverse: bool):
        bs = (N,) * T if batch_sizes is None else batch_sizes
        offs = [0] * T
        for t in range(1, T):
            offs[t] = offs[t - 1] + bs[t - 1]
        total = offs[-1] + bs[-1] if T else 0
        self.T, self.N, self.total, self.reverse = T, N, total, reverse
        self.batch_sizes = batch_sizes
        self._dev: dict = {}
        prevs: list[Any] = [None] * T
        if not reverse:
            base, init = N, 0
            for t in range(T):
                prevs[t] = init if t == 0 else base + offs[t - 1]
            order = range(T)
            ends = [0] * N  # each sequence's last step
            for t in range(T):
                for b in range(bs[t + 1] if t + 1 < T else 0, bs[t]):
                    ends[b] = t
            final = _compact(np.array([base + offs[ends[b]] + b for b in range(N)], np.intp))
        else:
            base, init = 0, total
            for t in range(T):
                if t == T - 1:
                    prevs[t] = init
                elif bs[t] == bs[t + 1]:
                    prevs[t] = base + offs[t + 1]
                else:
                    prevs[t] = np.concatenate([
                        np.arange(base + offs[t + 1], base + offs[t + 1] + bs[t + 1]),
                        np.arange(init + bs[t + 1], init + bs[t])]).astype(np.intp)
            order = range(T - 1, -1, -1)
            final = base + offs[0]
        self.base, self.init, self.final = base, init, final
        self.steps = [(offs[t], bs[t], prevs[t], base + offs[t]) for t in order]
        if all(isinstance(p, int) for p in prevs) and all(
                prevs[t] + bs[t] == prevs[t + 1] for t in range(T - 1)) and T:
            self.prev_all: Any = prevs[0]
        else:
            self.prev_all = np.concatenate([
                np.arange(p, p + bs[t], dtype=np.intp) if isinstance(p, int) else p
                for t, p in enumerate(prevs)]) if T else 0

    def dev(self, xp: Any) -> _Schedule:
        """This schedule with its index arrays on ``xp``'s device (NumPy: itself)."""
        if xp is np:
            return self
        s = self._dev.get(xp)
        if s is None:
            s = object.__new__(_Schedule)
            for k in self.__slots__:
                setattr(s, k, getattr(self, k))
            conv = (lambda a: a if isinstance(a, int) else xp.asarray(a))  # noqa: E731
            s.steps = [(o, b, conv(p), r) for o, b, p, r in self.steps]
            s.prev_all, s.final = conv(self.prev_all), conv(self.final)
            self._dev[xp] = s
        return s


def _compact(idx: Any) -> Any:
    """An index array as the start of a contiguous range when it is one."""
    n = len(idx)
    if n == 0:
        return 0
    if int(idx[-1]) - int(idx[0]) == n - 1 and (n < 2 or bool(np.all(np.diff(idx) == 1))):
        return int(idx[0])
    return idx


@functools.lru_cache(maxsize=256)
def _schedule(T: int, N: int, batch_sizes: tuple[int, ...] | None, reverse: bool) -> _Schedule:
    return _Schedule(T, N, batch_sizes, reverse)


def _get(buf: Any, spec: Any, n: int) -> Any:
    """Rows ``spec`` of ``buf`` (``n`` rows from an int start, or an index array)."""
    return buf[spec:spec + n] if spec.__class__ is int else buf[spec]


# ----------------------------------------------------------------------------- the carry
class _Carry:
    """A layer's final states (set by its forward) and their gradients (set by the
    :class:`RecurrentState` nodes' backward, consumed by the layer's backward)."""

    __slots__ = ("h_n", "c_n", "g_h", "g_c", "zero")

    def __init__(self) -> None:
        self.h_n = self.c_n = self.g_h = self.g_c = self.zero = None

    def take(self) -> tuple[Any, Any]:
        g = self.g_h, self.g_c
        self.g_h = self.g_c = None
        return g


class RecurrentState(Function):
    """A layer's final hidden (``which == 0``) or cell (``which == 1``) state, as an output.

    ``out`` is the layer's output tensor (so this node hangs below the layer's node); the state
    itself comes from the carry. Backward parks the gradient on the carry for the layer's
    backward and returns a broadcast zero gradient for ``out``.
    """

    @staticmethod
    def forward(ctx: Any, out: Any, carry: _Carry, which: int) -> Any:
        ctx.carry, ctx.which, ctx.oshape = carry, which, out.shape
        return carry.h_n if which == 0 else carry.c_n

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        carry = ctx.carry
        if ctx.which == 0:
            carry.g_h = grad_out if carry.g_h is None else carry.g_h + grad_out
        else:
            carry.g_c = grad_out if carry.g_c is None else carry.g_c + grad_out
        z = carry.zero
        if z is None or z.dtype != grad_out.dtype:
            xp = get_xp(grad_out)
            z = carry.zero = xp.broadcast_to(xp.zeros((), grad_out.dtype), ctx.oshape)
        return z, None, None


def _init_grads(ctx: Any, grad_out: Any, S_shape: tuple, sched: _Schedule, xp: Any) -> Any:
    """The state-gradient buffer: the output gradient at the output rows, plus the parked
    ``h_n`` gradient at the final rows, zeros at the initial rows."""
    carry = ctx.carry
    g_h, g_c = carry.take()
    total = sched.total
    if grad_out is carry.zero:
        dS = xp.zeros(S_shape, grad_out.dtype)
    else:
        dS = xp.empty(S_shape, grad_out.dtype)
        dS[sched.base:sched.base + total] = grad_out.reshape(total, S_shape[1])
        dS[sched.init:sched.init + sched.N] = 0
    if g_h is not None:
        f = sched.final
        if f.__class__ is int:
            dS[f:f + sched.N] += g_h
        else:
            dS[f] += g_h
    return dS, g_c


def _fresh(a: Any) -> Any:
    return a.copy()


# ----------------------------------------------------------------------------- RNN
class RNNLayer(Function):
    """One Elman RNN layer, one direction, over a whole sequence:
    ``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (``act``: tanh or relu).

    Inputs: ``x`` (total, I) rows in packed order, ``h0`` (N, H) or None, ``w_ih`` (H, I),
    ``w_hh`` (H, H), ``b_ih``/``b_hh`` (H,) or None, ``act``, the schedule and the carry.
    Output: (total, H); ``h_n`` goes to the carry.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, h0: Any, w_ih: Any, w_hh: Any, b_ih: Any, b_hh: Any,
                act: str, sched: _Schedule, carry: _Carry) -> Any:
        xp = get_xp(x)
        sched = sched.dev(xp)
        N, total = sched.N, sched.total
        H = w_hh.shape[0]
        x2 = _blas(x)
        S = xp.empty((N + total, H), x.dtype)
        Y = S[sched.base:sched.base + total]
        xp.matmul(x2, _blas(w_ih).T, out=Y)
        if b_ih is not None or b_hh is not None:
            Y += b_ih if b_hh is None else (b_hh if b_ih is None else b_ih + b_hh)
        S[sched.init:sched.init + N] = 0 if h0 is None else h0
        whT = xp.ascontiguousarray(w_hh.T)
        tmp = xp.empty((N, H), x.dtype)
        matmul, tanh_ = xp.matmul, xp.tanh
        is_tanh = act == "tanh"
        for _, bs, pv, ro in sched.steps:
            y = S[ro:ro + bs]
            tg = tmp[:bs]
            matmul(_get(S, pv, bs), whT, out=tg)
            y += tg
            if is_tanh:
                tanh_(y, out=y)
            else:
                xp.maximum(y, 0, out=y)
        carry.h_n = _fresh(_get(S, sched.final, N))
        if ctx.needs_input_grad:
            ctx.save_for_backward(x, x2, w_ih, w_hh, S, Y)
            ctx.sched, ctx.carry, ctx.act = sched, carry, act
        return Y

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        x, x2, w_ih, w_hh, S, Y = ctx.saved_tensors
        sched = ctx.sched
        nx, nh, nwi, nwh, nbi, nbh = ctx.needs_input_grad[:6]
        xp = get_xp(grad_out)
        N, total = sched.N, sched.total
        H = w_hh.shape[0]
        dS, _ = _init_grads(ctx, grad_out, S.shape, sched, xp)
        if ctx.act == "tanh":
            K = Y * Y
            xp.subtract(1, K, out=K)
        else:
            K = Y > 0
        dA = xp.empty((total, H), Y.dtype)
        tmp = xp.empty((N, H), Y.dtype)
        matmul, multiply = xp.matmul, xp.multiply
        w = _blas(w_hh)
        for off, bs, pv, ro in reversed(sched.steps):
            da = dA[off:off + bs]
            multiply(dS[ro:ro + bs], K[off:off + bs], out=da)
            tp = tmp[:bs]
            matmul(da, w, out=tp)
            if pv.__class__ is int:
                dS[pv:pv + bs] += tp
            else:
                dS[pv] += tp
        dx = (dA @ _blas(w_ih)).reshape(x.shape) if nx else None
        dh0 = dS[sched.init:sched.init + N].copy() if nh else None
        dwi = dA.T @ x2 if nwi else None
        dwh = dA.T @ _get(S, sched.prev_all, total) if nwh else None
        db = dA.sum(axis=0) if nbi or nbh else None
        return dx, dh0, dwi, dwh, db if nbi else None, db if nbh else None, None, None, None


# ----------------------------------------------------------------------------- LSTM
@functools.lru_cache(maxsize=64)
def _perm(sizes: tuple[int, ...], order: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Row permutation taking PyTorch's gate blocks (of ``sizes``) to ``order``, and its
    inverse."""
    starts = np.cumsum((0,) + sizes)
    p = np.concatenate([np.arange(starts[k], starts[k + 1]) for k in order]).astype(np.intp)
    inv = np.empty_like(p)
    inv[p] = np.arange(len(p))
    return p, inv


def _p(xp: Any, a: np.ndarray) -> Any:
    return a if xp is np else xp.asarray(a)


#: Internal LSTM gate order (PyTorch's ``i, f, g, o`` are 0..3): ``o, i, f, g``, so that the
#: three sigmoid gates are one contiguous block.
_LSTM_ORDER = (3, 0, 1, 2)
_LSTM_INV = (1, 2, 3, 0)


def _gates(xp: Any, w: Any, order: tuple[int, ...]) -> Any:
    """A gate-stacked PyTorch parameter ``(G*H, ...)`` as a fresh ``(G, H, ...)`` array with its
    gate blocks in ``order``."""
    g = len(order)
    return w.reshape((g, w.shape[0] // g) + w.shape[1:])[_p(xp, np.array(order, np.intp))]


class LSTMLayer(Function):
    """One LSTM layer, one direction, over a whole sequence (PyTorch's gates ``i, f, g, o``;
    an optional projection ``h_t = (o * tanh(c_t)) W_hr^T``).

    Inputs: ``x`` (total, I), ``h0`` (N, P) / ``c0`` (N, H) or None, ``w_ih`` (4H, I), ``w_hh``
    (4H, P), ``b_ih``/``b_hh`` (4H,) or None, ``w_hr`` (P, H) or None, the schedule, the carry.
    Output: (total, P) with ``P = H`` without projection; ``h_n``/``c_n`` go to the carry.

    Internally the gates are ordered ``o, i, f, g`` (the three sigmoids are one block). The
    input projection is one ``(total, I) @ (I, 4H)`` product into a (total, 4H) array; each
    step adds its one ``(rows, P) @ (P, 4H)`` product (one GEMM threads better than four
    per-gate ones: 4-8% off the layer's forward + backward at 2 threads, neutral at 1) and
    writes the tanh of the sum back over the step's own (rows, 4H) block *gate-major*, as four
    contiguous (rows, H) matrices, so every later elementwise op of the step runs over
    contiguous memory (a column slice of a (rows, 4H) matrix makes NumPy loop row by row, about
    three times slower at these sizes). The backward writes the gate gradients row-major,
    (total, 4H), which serves both the one product per step and the single weight and input
    gradient products after the loop.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, h0: Any, c0: Any, w_ih: Any, w_hh: Any, b_ih: Any, b_hh: Any,
                w_hr: Any, sched: _Schedule, carry: _Carry) -> Any:
        xp = get_xp(x)
        sched = sched.dev(xp)
        N, total = sched.N, sched.total
        H = w_ih.shape[0] // 4
        P = w_hh.shape[1]
        dt = x.dtype
        wi = _gates(xp, w_ih, _LSTM_ORDER)  # (4, H, I)
        wi[:3] *= 0.5
        wh = _gates(xp, w_hh, _LSTM_ORDER)  # (4, H, P)
        wh[:3] *= 0.5
        x2 = _blas(x)
        A = xp.empty((total, 4 * H), dt)  # input pre-activations, then the gate activations
        xp.matmul(x2, wi.reshape(4 * H, -1).T, out=A)
        if b_ih is not None or b_hh is not None:
            b = b_ih if b_hh is None else (b_hh if b_ih is None else b_ih + b_hh)
            b = _gates(xp, b, _LSTM_ORDER)  # (4, H)
            b[:3] *= 0.5
            A += b.reshape(4 * H)
        S = xp.empty((N + total, P), dt)
        C = xp.empty((N + total, H), dt)
        S[sched.init:sched.init + N] = 0 if h0 is None else h0
        C[sched.init:sched.init + N] = 0 if c0 is None else c0
        TC = xp.empty((total, H), dt)
        HR = xp.empty((total, H), dt) if w_hr is not None else None
        whT = xp.ascontiguousarray(wh.reshape(4 * H, P).T)  # (P, 4H)
        whrT = w_hr.T if w_hr is not None else None
        tmpG = xp.empty((N, 4 * H), dt)
        tmpH = xp.empty((N, H), dt)
        matmul, multiply, tanh_, add = xp.matmul, xp.multiply, xp.tanh, xp.add
        for off, bs, pv, ro in sched.steps:
            ab = A[off:off + bs]
            tg = tmpG[:bs]
            if pv.__class__ is int:
                hp, cp = S[pv:pv + bs], C[pv:pv + bs]
            else:
                hp, cp = S[pv], C[pv]
            # one (bs, P) @ (P, 4H) product (it threads better than four per-gate ones); its
            # tanh is written gate-major over the step's own (bs, 4H) block
            matmul(hp, whT, out=tg)
            add(tg, ab, out=tg)
            a = ab.reshape(4, bs, H)
            tanh_(xp.swapaxes(tg.reshape(bs, 4, H), 0, 1), out=a)
            s = a[:3]
            s *= 0.5
            s += 0.5
            cn = C[ro:ro + bs]
            multiply(a[2], cp, out=cn)
            th = tmpH[:bs]
            multiply(a[1], a[3], out=th)
            cn += th
            tc = TC[off:off + bs]
            tanh_(cn, out=tc)
            if HR is None:
                multiply(a[0], tc, out=S[ro:ro + bs])
            else:
                hr = HR[off:off + bs]
                multiply(a[0], tc, out=hr)
                matmul(hr, whrT, out=S[ro:ro + bs])
        Y = S[sched.base:sched.base + total]
        carry.h_n = _fresh(_get(S, sched.final, N))
        carry.c_n = _fresh(_get(C, sched.final, N))
        if ctx.needs_input_grad:
            ctx.save_for_backward(x, x2, w_ih, w_hh, w_hr, A, S, C, TC, HR, Y)
            ctx.sched, ctx.carry = sched, carry
        return Y

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        x, x2, w_ih, w_hh, w_hr, A, S, C, TC, HR, Y = ctx.saved_tensors
        sched = ctx.sched
        nx, nh, nc, nwi, nwh, nbi, nbh, nwr = ctx.needs_input_grad[:8]
        xp = get_xp(grad_out)
        N, total = sched.N, sched.total
        H = w_ih.shape[0] // 4
        P = w_hh.shape[1]
        dt = A.dtype
        inv = _p(xp, np.array(_LSTM_INV, np.intp))
        dS, g_c = _init_grads(ctx, grad_out, S.shape, sched, xp)
        dC = xp.zeros(C.shape, dt)
        if g_c is not None:
            f = sched.final
            if f.__class__ is int:
                dC[f:f + N] = g_c
            else:
                dC[f] = g_c
        dA2 = xp.empty((total, 4 * H), dt)  # gate gradients, row-major
        tmpH = xp.empty((N, H), dt)
        tmpG = xp.empty((4, N, H), dt)
        tmpD = xp.empty((4, N, H), dt)
        tmpR = xp.empty((N, H), dt) if w_hr is not None else None
        tmpP = xp.empty((N, P), dt)
        wh = _gates(xp, w_hh, _LSTM_ORDER).reshape(4 * H, P)
        wr = _blas(w_hr) if w_hr is not None else None
        matmul, multiply, subtract = xp.matmul, xp.multiply, xp.subtract
        # per step, on cache-resident blocks (internal gate order o, i, f, g):
        #   dc += dh o (1 - tanh(c)^2);  dA = [s(1-s) for o, i, f; 1 - g^2] * [dh tanh(c), dc g,
        #   dc c_prev, dc i];  dc_prev = dc f;  dh_prev += dA W_hh
        #   (dA is written straight into its row-major (total, 4H) array: one product per step)
        for off, bs, pv, ro in reversed(sched.steps):
            dh = dS[ro:ro + bs]
            if tmpR is not None:
                dhr = tmpR[:bs]
                matmul(dh, wr, out=dhr)
            else:
                dhr = dh
            a = A[off:off + bs].reshape(4, bs, H)
            tc = TC[off:off + bs]
            cp = C[pv:pv + bs] if pv.__class__ is int else C[pv]
            dc = dC[ro:ro + bs]
            t = tmpH[:bs]
            multiply(tc, tc, out=t)
            subtract(1, t, out=t)
            t *= a[0]
            t *= dhr
            dc += t
            G = tmpG[:, :bs]
            multiply(dhr, tc, out=G[0])
            multiply(dc, a[3], out=G[1])
            multiply(dc, cp, out=G[2])
            multiply(dc, a[1], out=G[3])
            d = tmpD[:, :bs]
            multiply(a, a, out=d)
            subtract(a[:3], d[:3], out=d[:3])
            subtract(1, d[3], out=d[3])
            da = dA2[off:off + bs]
            multiply(d, G, out=xp.swapaxes(da.reshape(bs, 4, H), 0, 1))
            tp = tmpP[:bs]
            matmul(da, wh, out=tp)
            if pv.__class__ is int:
                multiply(dc, a[2], out=dC[pv:pv + bs])
                dhp = dS[pv:pv + bs]
                dhp += tp
            else:
                dC[pv] = dc * a[2]
                dS[pv] += tp
        # the weight and input gradients as single GEMMs over all steps
        dx = (dA2 @ _gates(xp, w_ih, _LSTM_ORDER).reshape(4 * H, -1)).reshape(x.shape) \
            if nx else None
        dh0 = dS[sched.init:sched.init + N].copy() if nh else None
        dc0 = dC[sched.init:sched.init + N].copy() if nc else None
        dwi = (xp.ascontiguousarray((x2.T @ dA2).reshape(-1, 4, H)[:, inv].reshape(-1, 4 * H).T)
               if nwi else None)
        dwh = ((dA2.T @ _get(S, sched.prev_all, total)).reshape(4, H, P)[inv].reshape(4 * H, P)
               if nwh else None)
        db = dA2.sum(axis=0).reshape(4, H)[inv].reshape(4 * H) if nbi or nbh else None
        dwr = dS[sched.base:sched.base + total].T @ HR if nwr else None
        return (dx, dh0, dc0, dwi, dwh, db if nbi else None, db if nbh else None, dwr, None,
                None)


# ----------------------------------------------------------------------------- GRU
class GRULayer(Function):
    """One GRU layer, one direction, over a whole sequence (PyTorch's gates ``r, z, n``):
    ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h' = n + z * (h - n)``.

    Inputs: ``x`` (total, I), ``h0`` (N, H) or None, ``w_ih`` (3H, I), ``w_hh`` (3H, H),
    ``b_ih``/``b_hh`` (3H,) or None, the schedule, the carry. Output (total, H).
    Internally the input-side gates are ordered ``n, r, z`` and the hidden-side ones ``r, z, n``,
    so that the per-step gradient block ``[dn, dr, dz, dn * r]`` holds both gradient matrices
    (columns ``0:3`` for ``W_ih``, ``1:4`` for ``W_hh``) without a copy.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, h0: Any, w_ih: Any, w_hh: Any, b_ih: Any, b_hh: Any,
                sched: _Schedule, carry: _Carry) -> Any:
        xp = get_xp(x)
        sched = sched.dev(xp)
        N, total = sched.N, sched.total
        H = w_hh.shape[1]
        h1, h2, h3 = H, 2 * H, 3 * H
        dt = x.dtype
        perm, _ = _perm((H,) * 3, (2, 0, 1))
        perm = _p(xp, perm)
        wi = w_ih[perm]
        wi[h1:] *= 0.5
        wh = w_hh.copy()
        wh[:h2] *= 0.5
        x2 = _blas(x)
        A = x2 @ wi.T  # (total, 3H): [n, r, z] pre-activations, then activations
        if b_ih is not None or b_hh is not None:
            b = b_ih[perm] if b_ih is not None else xp.zeros(h3, dt)
            if b_hh is not None:
                b[h1:] += b_hh[:h2]
            b[h1:] *= 0.5
            A += b
        bhn = b_hh[h2:] if b_hh is not None else None
        S = xp.empty((N + total, H), dt)
        S[sched.init:sched.init + N] = 0 if h0 is None else h0
        GN = xp.empty((total, H), dt)  # W_hn h + b_hn per step
        whT = xp.ascontiguousarray(wh.T)
        tmpG = xp.empty((N, h3), dt)
        tmpH = xp.empty((N, H), dt)
        matmul, multiply, tanh_ = xp.matmul, xp.multiply, xp.tanh
        for off, bs, pv, ro in sched.steps:
            a = A[off:off + bs]
            tg = tmpG[:bs]
            hp = S[pv:pv + bs] if pv.__class__ is int else S[pv]
            matmul(hp, whT, out=tg)
            rz = a[:, h1:]
            rz += tg[:, :h2]
            tanh_(rz, out=rz)
            rz *= 0.5
            rz += 0.5
            gn = GN[off:off + bs]
            if bhn is None:
                gn[...] = tg[:, h2:]
            else:
                xp.add(tg[:, h2:], bhn, out=gn)
            n = a[:, :h1]
            th = tmpH[:bs]
            multiply(a[:, h1:h2], gn, out=th)
            n += th
            tanh_(n, out=n)
            xp.subtract(hp, n, out=th)
            th *= a[:, h2:]
            xp.add(n, th, out=S[ro:ro + bs])
        Y = S[sched.base:sched.base + total]
        carry.h_n = _fresh(_get(S, sched.final, N))
        if ctx.needs_input_grad:
            ctx.save_for_backward(x, x2, w_ih, w_hh, A, S, GN, Y)
            ctx.sched, ctx.carry = sched, carry
        return Y

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        x, x2, w_ih, w_hh, A, S, GN, Y = ctx.saved_tensors
        sched = ctx.sched
        nx, nh, nwi, nwh, nbi, nbh = ctx.needs_input_grad[:6]
        xp = get_xp(grad_out)
        N, total = sched.N, sched.total
        H = w_hh.shape[1]
        h1, h2 = H, 2 * H
        dt = A.dtype
        perm, inv = _perm((H,) * 3, (2, 0, 1))
        perm, inv = _p(xp, perm), _p(xp, inv)
        dS, _ = _init_grads(ctx, grad_out, S.shape, sched, xp)
        multiply, subtract, matmul = xp.multiply, xp.subtract, xp.matmul
        # per step: the gradient block [dn, dr, dz, dn * r] (pre-activations; the last is the
        # gradient of W_hn h + b_hn) with dn = dh (1 - z)(1 - n^2), dr = dn ghn r (1 - r),
        # dz = dh (h - n) z (1 - z); then dh_prev = dh z + [dr, dz, dn r] W_hh
        dD = xp.empty((total, 4, H), dt)
        t1 = xp.empty((N, H), dt)
        t2 = xp.empty((N, H), dt)
        tmpH = xp.empty((N, H), dt)
        wh = _blas(w_hh)
        for off, bs, pv, ro in reversed(sched.steps):
            dh = dS[ro:ro + bs]
            a = A[off:off + bs]
            n, r, z = a[:, :h1], a[:, h1:h2], a[:, h2:]
            hp = S[pv:pv + bs] if pv.__class__ is int else S[pv]
            dd = dD[off:off + bs]
            omz = t1[:bs]
            subtract(1, z, out=omz)
            v = t2[:bs]
            subtract(hp, n, out=v)
            v *= z
            v *= omz
            multiply(v, dh, out=dd[:, 2])
            multiply(n, n, out=v)
            subtract(1, v, out=v)
            v *= omz
            multiply(v, dh, out=dd[:, 0])
            multiply(dd[:, 0], r, out=dd[:, 3])
            subtract(1, r, out=omz)
            omz *= r
            omz *= GN[off:off + bs]
            multiply(omz, dd[:, 0], out=dd[:, 1])
            tp = tmpH[:bs]
            matmul(dd[:, 1:].reshape(bs, 3 * H), wh, out=tp)
            multiply(dh, z, out=v)
            tp += v
            if pv.__class__ is int:
                dS[pv:pv + bs] += tp
            else:
                dS[pv] += tp
        dGx = dD[:, 0:3].reshape(total, 3 * H)  # [n, r, z]
        dGh = dD[:, 1:4].reshape(total, 3 * H)  # [r, z, n * r] (PyTorch's order)
        dx = (dGx @ w_ih[perm]).reshape(x.shape) if nx else None
        dh0 = dS[sched.init:sched.init + N].copy() if nh else None
        dwi = (dGx.T @ x2)[inv] if nwi else None
        dwh = dGh.T @ _get(S, sched.prev_all, total) if nwh else None
        dbi = dGx.sum(axis=0)[inv] if nbi else None
        dbh = dGh.sum(axis=0) if nbh else None
        return dx, dh0, dwi, dwh, dbi, dbh, None, None


# ----------------------------------------------------------------------------- functional
def _shape(t: Any) -> tuple:
    return tuple(t.shape)


def _check_weights(op: str, x: Tensor, gates: int, w_ih: Any, w_hh: Any, b_ih: Any, b_hh: Any,
                   w_hr: Any = None) -> tuple[int, int]:
    """Validate a layer's weights against the input; returns (hidden_size, state size P)."""
    for name, w in (("weight_ih", w_ih), ("weight_hh", w_hh), ("bias_ih", b_ih),
                    ("bias_hh", b_hh), ("weight_hr", w_hr)):
        if w is not None and not isinstance(w, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(w).__name__}")
        if w is not None and w.dtype != x.dtype:
            raise TypeError(f"{op}: {name} dtype {w.dtype} does not match the input dtype "
                            f"{x.dtype}")
    if w_ih.ndim != 2 or w_hh.ndim != 2:
        raise RuntimeError(f"{op}: weight_ih and weight_hh must be 2-D, got shapes "
                           f"{_shape(w_ih)} and {_shape(w_hh)}")
    gh = w_ih.shape[0]
    if gh % gates:
        raise RuntimeError(f"{op}: weight_ih must have {gates} * hidden_size rows, got shape "
                           f"{_shape(w_ih)}")
    H = gh // gates
    P = H if w_hr is None else w_hr.shape[0]
    if w_hr is not None and (w_hr.ndim != 2 or w_hr.shape[1] != H):
        raise RuntimeError(f"{op}: weight_hr must have shape (proj_size, {H}), got "
                           f"{_shape(w_hr)}")
    if _shape(w_hh) != (gh, P):
        raise RuntimeError(f"{op}: weight_hh must have shape {(gh, P)} to match weight_ih "
                           f"{_shape(w_ih)}, got {_shape(w_hh)}")
    if x.shape[-1] != w_ih.shape[1]:
        raise RuntimeError(f"{op}: input has {x.shape[-1]} features but weight_ih expects "
                           f"{w_ih.shape[1]} (input shape {_shape(x)}, weight_ih shape "
                           f"{_shape(w_ih)})")
    for name, b in (("bias_ih", b_ih), ("bias_hh", b_hh)):
        if b is not None and _shape(b) != (gh,):
            raise RuntimeError(f"{op}: {name} must have shape ({gh},), got {_shape(b)}")
    check_same_device(op, x, w_ih, w_hh, b_ih, b_hh, w_hr)
    return H, P


def _check_state(op: str, name: str, s: Any, shape: tuple, x: Tensor) -> None:
    if s is None:
        return
    if not isinstance(s, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(s).__name__}")
    if _shape(s) != shape:
        raise RuntimeError(f"{op}: expected {name} of shape {shape}, got {_shape(s)} (input "
                           f"shape {_shape(x)})")
    if s.dtype != x.dtype:
        raise TypeError(f"{op}: {name} dtype {s.dtype} does not match the input dtype "
                        f"{x.dtype}")
    check_same_device(op, x, s)


def _layout(op: str, x: Any, batch_sizes: Any) -> tuple[Tensor, int, int, tuple | None]:
    """(input, T, N, batch_sizes tuple or None) after validating the input's layout."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: input must be floating point, got dtype {x.dtype}")
    if batch_sizes is None:
        if x.ndim != 3:
            raise RuntimeError(f"{op}: input must be 3-D (seq_len, batch, input_size), got "
                               f"shape {_shape(x)}")
        T, N = x.shape[0], x.shape[1]
        if T == 0:
            raise RuntimeError(f"{op}: Expected sequence length to be larger than 0 in RNN "
                               f"(input shape {_shape(x)})")
        return x, T, N, None
    if isinstance(batch_sizes, Tensor):
        batch_sizes = batch_sizes.tolist()
    bs = tuple(int(b) for b in batch_sizes)
    if x.ndim != 2:
        raise RuntimeError(f"{op}: packed input must be 2-D (sum of lengths, input_size), got "
                           f"shape {_shape(x)}")
    if not bs or any(b <= 0 for b in bs) or any(bs[t] < bs[t + 1] for t in range(len(bs) - 1)):
        raise RuntimeError(f"{op}: batch_sizes must be positive and non-increasing, got "
                           f"{list(bs)}")
    if sum(bs) != x.shape[0]:
        raise RuntimeError(f"{op}: batch_sizes sum to {sum(bs)} but the packed input has "
                           f"{x.shape[0]} rows (shape {_shape(x)})")
    return x, len(bs), bs[0], bs


def _out(y: Tensor, x: Tensor, T: int, N: int) -> Tensor:
    return y.reshape(T, N, y.shape[-1]) if x.ndim == 3 else y


def _run(op: str, x: Tensor, batch_sizes: Any, reverse: bool) -> tuple[Tensor, int, int,
                                                                         _Schedule, _Carry]:
    x, T, N, bs = _layout(op, x, batch_sizes)
    sched = _schedule(T, N, bs, bool(reverse))
    return x, T, N, sched, _Carry()


def _flat(x: Tensor, T: int, N: int) -> Tensor:
    """A 3-D input as (T*N, I) rows (a recorded reshape, so its gradient flows)."""
    return x.reshape(T * N, x.shape[-1]) if x.ndim == 3 else x


def rnn_tanh(input: Tensor, hx: Tensor | None, weight_ih: Tensor, weight_hh: Tensor,
             bias_ih: Tensor | None = None, bias_hh: Tensor | None = None, *,
             reverse: bool = False, batch_sizes: Any = None) -> tuple[Tensor, Tensor]:
    """One tanh RNN layer over a sequence: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T +
    b_hh)``, fused (one node, hand-written backpropagation through time).

    Args:
        input: ``(T, N, I)``, or ``(sum of lengths, I)`` packed rows with ``batch_sizes``.
        hx: ``(N, H)`` initial state, or None for zeros.
        weight_ih, weight_hh: ``(H, I)`` and ``(H, H)``; bias_ih, bias_hh: ``(H,)`` or None.
        reverse: run from the last step to the first (a bidirectional layer's second half).
        batch_sizes: the active batch size of each step for packed input (non-increasing).

    Returns:
        ``(output, h_n)``: ``(T, N, H)`` (or packed ``(sum of lengths, H)``) and ``(N, H)``, the
        state after each sequence's own last step.

    Example:
        >>> import lightgrad
        >>> from lightgrad.nn import functional as F
        >>> x, w_ih, w_hh = lightgrad.ones(5, 2, 3), lightgrad.ones(4, 3), lightgrad.ones(4, 4)
        >>> out, h_n = F.rnn_tanh(x, None, w_ih * 0.1, w_hh * 0.1)
        >>> out.shape, h_n.shape
        (lightgrad.Size([5, 2, 4]), lightgrad.Size([2, 4]))
    """
    return _rnn(input, hx, weight_ih, weight_hh, bias_ih, bias_hh, "tanh", reverse, batch_sizes)


def rnn_relu(input: Tensor, hx: Tensor | None, weight_ih: Tensor, weight_hh: Tensor,
             bias_ih: Tensor | None = None, bias_hh: Tensor | None = None, *,
             reverse: bool = False, batch_sizes: Any = None) -> tuple[Tensor, Tensor]:
    """One relu RNN layer: ``h_t = relu(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``; the
    arguments and results are those of :func:`rnn_tanh`.

    Example:
        >>> import lightgrad
        >>> from lightgrad.nn import functional as F
        >>> out, h_n = F.rnn_relu(lightgrad.ones(3, 1, 2), None, lightgrad.ones(2, 2),
        ...                       lightgrad.zeros(2, 2))
        >>> out[-1]
        tensor([[2., 2.]])
    """
    return _rnn(input, hx, weight_ih, weight_hh, bias_ih, bias_hh, "relu", reverse, batch_sizes)


def _rnn(x: Any, hx: Any, w_ih: Any, w_hh: Any, b_ih: Any, b_hh: Any, act: str, reverse: bool,
         batch_sizes: Any) -> tuple[Tensor, Tensor]:
    op = f"rnn_{act}"
    x, T, N, sched, carry = _run(op, x, batch_sizes, reverse)
    H, _ = _check_weights(op, x, 1, w_ih, w_hh, b_ih, b_hh)
    _check_state(op, "hx", hx, (N, H), x)
    y = RNNLayer.apply(_flat(x, T, N), hx, w_ih, w_hh, b_ih, b_hh, act, sched, carry)
    return _out(y, x, T, N), RecurrentState.apply(y, carry, 0)


def lstm(input: Tensor, hx: Tensor | None, cx: Tensor | None, weight_ih: Tensor,
         weight_hh: Tensor, bias_ih: Tensor | None = None, bias_hh: Tensor | None = None,
         weight_hr: Tensor | None = None, *, reverse: bool = False,
         batch_sizes: Any = None) -> tuple[Tensor, Tensor, Tensor]:
    """One LSTM layer over a sequence (gates ``i, f, g, o`` as in PyTorch), fused:
    ``c_t = f * c_{t-1} + i * g``, ``h_t = o * tanh(c_t)`` (times ``W_hr^T`` with a projection).

    Args:
        input: ``(T, N, I)``, or ``(sum of lengths, I)`` packed rows with ``batch_sizes``.
        hx, cx: ``(N, P)`` and ``(N, H)`` initial states, or None for zeros (``P = H``, or
            ``proj_size`` with ``weight_hr``).
        weight_ih, weight_hh: ``(4H, I)`` and ``(4H, P)``; bias_ih, bias_hh: ``(4H,)`` or None;
        weight_hr: ``(P, H)`` projection or None.
        reverse, batch_sizes: as in :func:`rnn_tanh`.

    Returns:
        ``(output, h_n, c_n)``: ``(T, N, P)`` (or packed rows), ``(N, P)``, ``(N, H)``.

    Example:
        >>> import lightgrad
        >>> from lightgrad.nn import functional as F
        >>> w_ih, w_hh = lightgrad.full((8, 3), 0.1), lightgrad.full((8, 2), 0.1)
        >>> out, h_n, c_n = F.lstm(lightgrad.ones(5, 4, 3), None, None, w_ih, w_hh)
        >>> out.shape, h_n.shape, c_n.shape
        (lightgrad.Size([5, 4, 2]), lightgrad.Size([4, 2]), lightgrad.Size([4, 2]))
    """
    x, T, N, sched, carry = _run("lstm", input, batch_sizes, reverse)
    H, P = _check_weights("lstm", x, 4, weight_ih, weight_hh, bias_ih, bias_hh, weight_hr)
    _check_state("lstm", "hx", hx, (N, P), x)
    _check_state("lstm", "cx", cx, (N, H), x)
    y = LSTMLayer.apply(_flat(x, T, N), hx, cx, weight_ih, weight_hh, bias_ih, bias_hh,
                        weight_hr, sched, carry)
    return (_out(y, x, T, N), RecurrentState.apply(y, carry, 0),
            RecurrentState.apply(y, carry, 1))


def gru(input: Tensor, hx: Tensor | None, weight_ih: Tensor, weight_hh: Tensor,
        bias_ih: Tensor | None = None, bias_hh: Tensor | None = None, *, reverse: bool = False,
        batch_sizes: Any = None) -> tuple[Tensor, Tensor]:
    """One GRU layer over a sequence (gates ``r, z, n`` as in PyTorch), fused:
    ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h_t = (1 - z) * n + z * h_{t-1}``.

    Args:
        input: ``(T, N, I)``, or ``(sum of lengths, I)`` packed rows with ``batch_sizes``.
        hx: ``(N, H)`` initial state or None; weight_ih ``(3H, I)``, weight_hh ``(3H, H)``,
        bias_ih, bias_hh ``(3H,)`` or None; reverse, batch_sizes: as in :func:`rnn_tanh`.

    Returns:
        ``(output, h_n)``.

    Example:
        >>> import lightgrad
        >>> from lightgrad.nn import functional as F
        >>> out, h_n = F.gru(lightgrad.ones(5, 4, 3), None, lightgrad.ones(6, 3),
        ...                  lightgrad.ones(6, 2))
        >>> out.shape, h_n.shape
        (lightgrad.Size([5, 4, 2]), lightgrad.Size([4, 2]))
    """
    x, T, N, sched, carry = _run("gru", input, batch_sizes, reverse)
    H, _ = _check_weights("gru", x, 3, weight_ih, weight_hh, bias_ih, bias_hh)
    _check_state("gru", "hx", hx, (N, H), x)
    y = GRULayer.apply(_flat(x, T, N), hx, weight_ih, weight_hh, bias_ih, bias_hh, sched, carry)
    return _out(y, x, T, N), RecurrentState.apply(y, carry, 0)


# ----------------------------------------------------------------------------- cells
def rnn_tanh_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """One step of a tanh RNN, composed from ops: ``tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)``.

    Example:
        >>> import lightgrad
        >>> from lightgrad.nn import functional as F
        >>> F.rnn_tanh_cell(lightgrad.ones(1, 2), lightgrad.zeros(1, 3), lightgrad.zeros(3, 2),
        ...                 lightgrad.zeros(3, 3))
        tensor([[0., 0., 0.]])
    """
    return tanh(linear(input, w_ih, b_ih) + linear(hx, w_hh, b_hh))


def rnn_relu_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
                  b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """One step of a relu RNN, composed from ops: ``relu(x W_ih^T + b_ih + h W_hh^T + b_hh)``."""
    return relu(linear(input, w_ih, b_ih) + linear(hx, w_hh, b_hh))


def lstm_cell(input: Tensor, hx: tuple[Tensor, Tensor], w_ih: Tensor, w_hh: Tensor,
              b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """One LSTM step, composed from ops: gates ``i, f, g, o`` from
    ``x W_ih^T + b_ih + h W_hh^T + b_hh``; ``c' = σ(f) c + σ(i) tanh(g)``,
    ``h' = σ(o) tanh(c')``. Returns ``(h', c')``."""
    h, c = hx
    gates = linear(input, w_ih, b_ih) + linear(h, w_hh, b_hh)
    i, f, g, o = chunk(gates, 4, -1)
    c1 = sigmoid(f) * c + sigmoid(i) * tanh(g)
    return sigmoid(o) * tanh(c1), c1


def gru_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor,
             b_ih: Tensor | None = None, b_hh: Tensor | None = None) -> Tensor:
    """One GRU step, composed from ops: ``r = σ(x_r + h_r)``, ``z = σ(x_z + h_z)``,
    ``n = tanh(x_n + r h_n)``, ``h' = n + z (h - n)`` (``x_*`` from ``x W_ih^T + b_ih``, ``h_*``
    from ``h W_hh^T + b_hh``)."""
    gi = linear(input, w_ih, b_ih)
    gh = linear(hx, w_hh, b_hh)
    i_r, i_z, i_n = chunk(gi, 3, -1)
    h_r, h_z, h_n = chunk(gh, 3, -1)
    r = sigmoid(i_r + h_r)
    z = sigmoid(i_z + h_z)
    n = tanh(i_n + r * h_n)
    return n + z * (hx - n)


# ----------------------------------------------------------------------------- stacked layers
def rnn_layers(mode: str, input: Tensor, hx: Tensor | None, cx: Tensor | None,
               weights: list, num_layers: int, dropout: float, training: bool,
               bidirectional: bool, batch_sizes: Any = None) -> tuple[Tensor, Tensor,
                                                                      Tensor | None]:
    """A stack of ``num_layers`` recurrent layers (each bidirectional or not), as ``nn.RNN``,
    ``nn.LSTM`` and ``nn.GRU`` run them (PyTorch's ``_VF.rnn_tanh`` / ``lstm`` / ``gru``).

    Args:
        mode: ``"rnn_tanh"``, ``"rnn_relu"``, ``"lstm"`` or ``"gru"``.
        input: ``(T, N, I)`` time-major, or packed rows ``(sum of lengths, I)`` with
            ``batch_sizes``.
        hx: ``(num_layers * D, N, P)`` initial hidden states or None; cx: the LSTM's
            ``(num_layers * D, N, H)`` initial cell states or None.
        weights: for each layer and direction (``l * D + d``) the tuple ``(w_ih, w_hh, b_ih,
            b_hh, w_hr)`` (None where absent).
        dropout: dropout on each layer's output except the last's, when ``training``.

    Returns:
        ``(output, h_n, c_n)``: ``(T, N, D * P)`` (or packed rows), ``(num_layers * D, N, P)``
        and, for the LSTM, ``(num_layers * D, N, H)`` (else None).
    """
    from .dropout import dropout as _dropout
    from .movement import cat, stack

    D = 2 if bidirectional else 1
    is_lstm = mode == "lstm"
    hs = hx.unbind(0) if hx is not None else [None] * (num_layers * D)
    cs = cx.unbind(0) if cx is not None else [None] * (num_layers * D)
    h_n: list = []
    c_n: list = []
    x = input
    for layer in range(num_layers):
        outs = []
        for d in range(D):
            k = layer * D + d
            w_ih, w_hh, b_ih, b_hh, w_hr = weights[k]
            rev = d == 1
            if is_lstm:
                o, h, c = lstm(x, hs[k], cs[k], w_ih, w_hh, b_ih, b_hh, w_hr, reverse=rev,
                               batch_sizes=batch_sizes)
                c_n.append(c)
            elif mode == "gru":
                o, h = gru(x, hs[k], w_ih, w_hh, b_ih, b_hh, reverse=rev, batch_sizes=batch_sizes)
            else:
                o, h = _rnn(x, hs[k], w_ih, w_hh, b_ih, b_hh, mode[4:], rev, batch_sizes)
            outs.append(o)
            h_n.append(h)
        x = outs[0] if D == 1 else cat(outs, -1)
        if dropout and training and layer < num_layers - 1:
            x = _dropout(x, dropout, True)
    return x, stack(h_n, 0), (stack(c_n, 0) if is_lstm else None)


# ----------------------------------------------------------------------------- packing
class PackPadded(Function):
    """Rows of a padded batch in packed order: ``out = x.reshape(T*N, ...)[idx]`` (``idx``:
    the flat (time, batch) positions of the packed rows, all distinct); backward scatters the
    gradient back (zeros at the padding)."""

    @staticmethod
    def forward(ctx: Any, x: Any, idx: Any) -> Any:
        xp = get_xp(x)
        idx = _p(xp, idx)
        ctx.shape, ctx.idx = x.shape, idx
        return x.reshape((x.shape[0] * x.shape[1],) + x.shape[2:])[idx]

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        xp = get_xp(grad_out)
        s = ctx.shape
        g = xp.zeros((s[0] * s[1],) + s[2:], grad_out.dtype)
        g[ctx.idx] = grad_out
        return g.reshape(s), None


class PadPacked(Function):
    """Packed rows into a padded batch of ``shape`` filled with ``value``:
    ``out.reshape(T*N, ...)[idx] = data``; backward gathers the gradient's rows."""

    @staticmethod
    def forward(ctx: Any, data: Any, idx: Any, shape: tuple, value: float) -> Any:
        xp = get_xp(data)
        idx = _p(xp, idx)
        ctx.idx = idx
        out = xp.full((shape[0] * shape[1],) + tuple(shape[2:]), value, dtype=data.dtype)
        out[idx] = data
        return out.reshape(shape)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        s = grad_out.shape
        return grad_out.reshape((s[0] * s[1],) + s[2:])[ctx.idx], None, None, None


def pack_rows(x: Tensor, idx: np.ndarray) -> Tensor:
    """``x`` ``(A, B, *)`` flattened to ``(A*B, *)`` rows, rows ``idx`` taken (differentiable;
    the packing step of ``pack_padded_sequence``)."""
    return PackPadded.apply(x, idx)


def pad_rows(data: Tensor, idx: np.ndarray, shape: tuple, value: float = 0.0) -> Tensor:
    """A ``shape`` tensor filled with ``value`` whose flattened rows ``idx`` are ``data``'s
    rows (differentiable; the inverse of :func:`pack_rows`)."""
    return PadPacked.apply(data, idx, tuple(shape), float(value))
