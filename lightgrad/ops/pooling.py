"""Pooling ops: max/avg pooling, adaptive pooling, max unpooling and power-average pooling.

Every pooled window is read as a strided view of the (padded) input, one view per kernel offset
``j``: ``view_j = x[..., j*d : j*d + (o-1)*s + 1 : s]`` (per spatial dim), so a pool is a short
loop over the ``kh * kw`` offsets, each step vectorized over the whole batch; no Python loop
over pixels and no im2col copy. When the window tiles the input (``stride == kernel``, no
padding or dilation: the common 2x2 pool) these views are the ``(H/2, 2, W/2, 2)`` reshape of
the input and the backward writes each offset's share with one multiply (no scatter at all).

* max pooling reduces the offsets as a tournament (``maximum`` of neighbours, then of pairs...)
  and keeps the *window-local* index of the winner (int8 for windows up to 127 elements); ties
  go to the first element of the window in row-major order, as PyTorch's CPU kernel does. The
  backward routes the gradient through that index: ``grad_x[view_j] (+)= (idx == j) * grad``.
  ``return_indices`` converts it to PyTorch's flat per-channel index ``h * W + w``.
* average pooling sums the views and divides by the window's divisor (``count_include_pad``,
  ``ceil_mode`` and ``divisor_override`` as PyTorch).
* adaptive pooling uses windows ``[floor(i*L/O), ceil((i+1)*L/O))``: an ordinary tiled pool when
  ``O`` divides ``L``; otherwise the average is two small matrix products (it is separable) and
  the max a loop over the (at most ``ceil(L/O) + 1``) offsets inside the windows.
* ``max_unpool`` scatters values to saved indices (SegNet's decoder).

Inputs are ``(N, C, *spatial)`` or unbatched ``(C, *spatial)``; the ops work on NumPy and CuPy
arrays alike. A window holding NaN gives NaN (its index then points into the window, not
necessarily at the NaN).
"""

from __future__ import annotations

import itertools
import math
import operator
from typing import Any

import numpy as np

from .. import backend_kernels as _bk
from ..autograd.function import Function
from ..tensor import Tensor
from .operands import as_tensor_arg, get_xp

__all__ = [
    "max_pool1d", "max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices",
    "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices", "max_unpool1d", "max_unpool2d", "lp_pool1d",
    "lp_pool2d",
]

_NUM = ("", "one", "two", "three")
#: above this many elements per window, max pooling takes the argmax of a copied window array
#: (one NumPy call) instead of a tournament over the offsets (a few calls per offset)
_BIG_WINDOW = 64


# ----------------------------------------------------------------------------- arguments
def _ints(v: Any, n: int, op: str, arg: str) -> tuple[int, ...]:
    """``v`` (an int or a sequence of 1 or ``n`` ints) as an ``n``-tuple."""
    if isinstance(v, Tensor) and v.ndim == 0 and v.dtype.kind in "iu":
        v = int(v.item())
    if isinstance(v, bool) or not isinstance(v, int | np.integer | tuple | list):
        raise TypeError(f"{op}(): argument '{arg}' must be tuple of ints, not "
                        f"{type(v).__name__}")
    if isinstance(v, int | np.integer):
        return (int(v),) * n
    for e in v:
        if isinstance(e, bool) or not isinstance(e, int | np.integer):
            raise TypeError(f"{op}(): argument '{arg}' must be tuple of ints, but found element "
                            f"of type {type(e).__name__}")
    if len(v) == 1:
        return (int(v[0]),) * n
    if len(v) != n:
        raise RuntimeError(f"{op}: {arg} must either be a single int, or a tuple of "
                           f"{_NUM[n]} ints, got {tuple(v)}")
    return tuple(int(e) for e in v)


def _stride(v: Any, n: int, op: str, k: tuple[int, ...]) -> tuple[int, ...]:
    """The stride: the kernel size when ``None`` or empty (PyTorch's default)."""
    if v is None or (isinstance(v, tuple | list) and len(v) == 0):
        return k
    return _ints(v, n, op, "stride")


def _spatial_input(input: Any, nd: int, op: str) -> Tensor:
    """Check a ``(N, C, *spatial)`` or ``(C, *spatial)`` input with non-empty non-batch dims."""
    x = as_tensor_arg(input, op)
    shp = tuple(x.data.shape)
    if x.ndim not in (nd + 1, nd + 2) or any(s == 0 for s in shp[x.ndim - nd - 1:]):
        raise RuntimeError(f"{op}: Expected {nd + 1}D or {nd + 2}D (batch mode) tensor with "
                           f"optional 0 dim batch size for input, but got shape {shp}")
    if x.dtype.kind not in "fiub":
        raise TypeError(f"{op}: unsupported dtype {x.dtype}")
    return x


def _out_size(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """PyTorch's ``pooling_output_shape``: windows that start in the right padding are
    dropped in ceil mode."""
    num = size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)
    o = num // s + 1
    if ceil_mode and (o - 1) * s >= size + p:
        o -= 1
    return o


class _Geom:
    """Window geometry of one pooling call: sizes, padded buffer and the per-offset views."""

    def __init__(self, shape: tuple, k: tuple, s: tuple, p: tuple, d: tuple,
                 ceil_mode: bool, op: str, max_pad: bool) -> None:
        nd = len(k)
        self.nd, self.k, self.s, self.p, self.d = nd, k, s, p, d
        self.lead = tuple(shape[:len(shape) - nd])
        self.size = tuple(shape[len(shape) - nd:])
        if min(k) <= 0:
            raise RuntimeError(f"{op}: kernel_size must be greater than zero, but got {k}")
        if min(s) <= 0:
            raise RuntimeError(f"{op}: stride must be greater than zero, but got {s}")
        if min(d) <= 0:
            raise RuntimeError(f"{op}: dilation must be greater than zero, but got {d}")
        if min(p) < 0:
            raise RuntimeError(f"{op}: pad must be non-negative, but got pad={p}")
        for ki, pi, di in zip(k, p, d):
            if max_pad and pi > ((ki - 1) * di + 1) // 2:
                raise RuntimeError(f"{op}: pad should be at most half of effective kernel size, "
                                   f"but got pad={pi}, kernel_size={ki} and dilation={di}")
            if not max_pad and pi > ki // 2:
                raise RuntimeError(f"{op}: pad should be at most half of kernel size, but got "
                                   f"pad={pi} and kernel_size={ki}")
        self.out = tuple(_out_size(n, ki, si, pi, di, ceil_mode)
                         for n, ki, si, pi, di in zip(self.size, k, s, p, d))
        if min(self.out) < 1:
            c = self.lead[-1:] if self.lead else ()
            fmt = "x".join(str(v) for v in c + self.size)
            ofmt = "x".join(str(v) for v in c + tuple(max(o, 0) for o in self.out))
            raise RuntimeError(f"{op}: Given input size: ({fmt}). Calculated output size: "
                               f"({ofmt}). Output size is too small (kernel_size={k}, "
                               f"stride={s}, padding={p}, dilation={d})")
        # the padded buffer spans exactly the windows: (o - 1) * s + (k - 1) * d + 1
        self.buf = tuple((o - 1) * si + (ki - 1) * di + 1
                         for o, ki, si, di in zip(self.out, k, s, d))
        # the part of the input that lands in the buffer
        self.used = tuple(min(n, b - pi) for n, b, pi in zip(self.size, self.buf, p))
        self.direct = all(pi == 0 for pi in p) and self.used == self.size and \
            self.buf == self.size
        self.ksize = math.prod(k)
        self.offsets = list(itertools.product(*(range(ki) for ki in k)))
        self.disjoint = all(si >= (ki - 1) * di + 1 for ki, si, di in zip(k, s, d))
        self.tiled = all(ki == si and (di == 1 or ki == 1) and pi == 0 and o * ki == n
                         for ki, si, di, pi, o, n in zip(k, s, d, p, self.out, self.size))

    def view(self, arr: Any, off: tuple) -> Any:
        """The window elements at kernel offset ``off`` for every output position."""
        key = tuple(slice(j * di, j * di + (o - 1) * si + 1, si)
                    for j, di, o, si in zip(off, self.d, self.out, self.s))
        return arr[(Ellipsis,) + key]

    def padded(self, x: Any, fill: Any) -> Any:
        """``x`` inside a buffer of the windows' span filled with ``fill`` (``x`` itself when
        no padding is needed)."""
        if self.direct:
            return x
        xp = get_xp(x)
        b = xp.full(self.lead + self.buf, fill, dtype=x.dtype)
        dst = tuple(slice(pi, pi + u) for pi, u in zip(self.p, self.used))
        src = tuple(slice(0, u) for u in self.used)
        b[(Ellipsis,) + dst] = x[(Ellipsis,) + src]
        return b

    def unpad(self, gb: Any) -> Any:
        """The input's share of a gradient held in the buffer layout."""
        if self.direct:
            return gb
        xp = get_xp(gb)
        src = tuple(slice(pi, pi + u) for pi, u in zip(self.p, self.used))
        if self.used == self.size:
            return xp.ascontiguousarray(gb[(Ellipsis,) + src])
        g = xp.zeros(self.lead + self.size, dtype=gb.dtype)
        g[(Ellipsis,) + tuple(slice(0, u) for u in self.used)] = gb[(Ellipsis,) + src]
        return g

    def windows(self, b: Any) -> Any:
        """All windows as one strided view ``(*lead, *out, *k)`` of the buffer ``b``."""
        xp = get_xp(b)
        st = b.strides
        lead_st = st[:len(self.lead)]
        sp = st[len(self.lead):]
        return xp.lib.stride_tricks.as_strided(
            b, self.lead + self.out + self.k,
            lead_st + tuple(a * si for a, si in zip(sp, self.s))
            + tuple(a * di for a, di in zip(sp, self.d)))

    def flat_indices(self, idx: Any) -> Any:
        """Window-local indices -> PyTorch's flat index into the unpadded input plane."""
        xp = get_xp(idx)
        idx = idx.astype(np.int64)
        flat: Any = 0
        rest = self.ksize
        nd = self.nd
        for i in range(nd):
            rest //= self.k[i]
            j = (idx // rest) % self.k[i] if nd > 1 else idx
            base = xp.arange(self.out[i], dtype=np.int64) * self.s[i] - self.p[i]
            pos = base.reshape((-1,) + (1,) * (nd - 1 - i)) + j * self.d[i]
            flat = flat + pos * math.prod(self.size[i + 1:])
        return flat


def _idx_dtype(n: int) -> Any:
    return np.int8 if n <= 127 else np.int16 if n <= 32767 else np.int32


def _lowest(dtype: Any) -> Any:
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return -np.inf
    if dt.kind == "b":
        return False
    return np.iinfo(dt).min


# ----------------------------------------------------------------------------- max pooling
def _tournament(items: list, want_idx: bool, idx_dtype: Any) -> tuple[Any, Any]:
    """Max over ``items = [(view, index), ...]`` (in window order; an index is an int or an
    array) with the index of the first maximum. Neighbours are merged first (they share cache
    lines and form contiguous runs of the window, so the earlier side winning ties keeps the
    first maximum)."""
    xp = get_xp(items[0][0])
    while len(items) > 1:
        nxt = []
        for a in range(0, len(items) - 1, 2):
            (av, ai), (bv, bi) = items[a], items[a + 1]
            v = xp.maximum(av, bv)
            i: Any = None
            if want_idx:
                m = bv > av
                if isinstance(ai, int) and isinstance(bi, int) and bi == ai + 1:
                    i = m.view(np.int8) if idx_dtype == np.int8 else m.astype(idx_dtype)
                    if ai:
                        i = i + idx_dtype(ai)
                else:
                    i = xp.where(m, idx_dtype(bi) if isinstance(bi, int) else bi,
                                 idx_dtype(ai) if isinstance(ai, int) else ai)
            nxt.append((v, i))
        if len(items) % 2:
            nxt.append(items[-1])
        items = nxt
    v, i = items[0]
    if isinstance(i, int) and want_idx:
        i = xp.full(v.shape, i, dtype=idx_dtype)
    return v, i


def _separable_max(b: Any, g: _Geom, want_idx: bool, idt: Any) -> tuple[Any, Any]:
    """2-d max as a max over the window's columns, then over its rows (``kw - 1 + kh - 1``
    merges instead of ``kh kw - 1``). The row pass keeps the earliest row holding the
    maximum and the column pass its first column: PyTorch's first maximum in row-major
    order."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = g.k, g.s, g.d, g.out
    cols = [(b[..., :, j * dw:j * dw + (ow - 1) * sw + 1:sw], j) for j in range(kw)]
    vw, iw = _tournament(cols, want_idx, idt)  # (*lead, H_buf, W_out)
    rows = []
    for i in range(kh):
        key = (Ellipsis, slice(i * dh, i * dh + (oh - 1) * sh + 1, sh), slice(None))
        ii = None
        if want_idx:
            ii = iw[key] if i == 0 else iw[key] + idt(i * kw)
        rows.append((vw[key], ii))
    return _tournament(rows, want_idx, idt)


def _max2x2(x: Any) -> tuple[Any, Any, Any]:
    """2x2 max pooling at stride 2 over exactly tiled planes (N, ..., 2*OH, 2*OW): the max over
    column pairs, then over row pairs of the result, on flat views of the contiguous data (the
    column pass is ONE long strided loop, the row pass one loop per output row over contiguous
    runs; the general path's per-offset views loop over every output row of every offset).
    Returns the output and the masks ``mc`` ("the right column won", per input row and output
    column) and ``mr`` ("the lower row won", per output) that locate the first maximum in
    row-major order, as the tournament does (strict ``>``: ties keep the earlier element)."""
    xp = get_xp(x)
    *lead, h, w = x.shape
    planes = math.prod(lead)
    xf = x.reshape(planes, h, w)
    out = xp.empty(tuple(lead) + (h // 2, w // 2), x.dtype)
    mr = xp.empty((planes * (h // 2), w // 2), bool)  # (planes * OH, OW)
    mc = xp.empty(planes * h * (w // 2), bool)  # (planes * H * OW)
    of = out.reshape(planes, h // 2, w // 2)
    half = _split_planes(xp, planes, x.nbytes)
    if half:
        _bk.host_pair(lambda: _max2x2_part(xp, xf, of, mr, mc, 0, half),
                      lambda: _max2x2_part(xp, xf, of, mr, mc, half, planes))
    else:
        _max2x2_part(xp, xf, of, mr, mc, 0, planes)
    return out, mr, mc


#: Bytes of input above which 2x2 pooling splits its planes over two threads
_SPLIT_ABOVE = 1 << 22


def _split_planes(xp: Any, planes: int, nbytes: int) -> int:
    """Where to split ``planes`` over two threads (0: do not): NumPy arrays of more than
    ``_SPLIT_ABOVE`` bytes, with the user allowing BLAS 2 threads
    (:func:`backend_kernels.host_pair`)."""
    if xp is not np or planes < 2 or nbytes <= _SPLIT_ABOVE or not _bk.host_pair_ok():
        return 0
    return planes // 2


def _max2x2_part(xp: Any, xf: Any, out: Any, mr: Any, mc: Any, a: int, b: int) -> None:
    """:func:`_max2x2` over the planes ``a:b`` of ``xf`` (planes, H, W), into their parts of
    ``out`` (planes, OH, OW) and the masks."""
    h, ow = xf.shape[1], xf.shape[2] // 2
    x2 = xf[a:b].reshape(-1, 2)  # (planes * H * OW, column pair)
    left, right = x2[:, 0], x2[:, 1]
    xp.greater(right, left, out=mc[a * h * ow:b * h * ow])
    v = xp.maximum(left, right).reshape(-1, 2, ow)  # (planes * OH, row pair, OW)
    top, bot = v[:, 0], v[:, 1]
    xp.greater(bot, top, out=mr[a * (h // 2):b * (h // 2)])
    xp.maximum(top, bot, out=out[a:b].reshape(-1, ow))


def _max2x2_backward(g: Any, mr: Any, mc: Any, shape: tuple) -> Any:
    """The gradient of :func:`_max2x2`: ``g`` routed back through the row, then the column
    choice."""
    xp = get_xp(g)
    oh, ow = shape[-2] // 2, shape[-1] // 2
    finite = bool(xp.isfinite(g).all())
    planes = math.prod(shape[:-2])
    gf = g.reshape(planes, oh, ow)
    gx = xp.empty(shape, g.dtype)
    gxf = gx.reshape(planes, 2 * oh, 2 * ow)
    half = _split_planes(xp, planes, gx.nbytes)
    if half:
        _bk.host_pair(lambda: _max2x2_backward_part(xp, gf, mr, mc, gxf, finite, 0, half),
                      lambda: _max2x2_backward_part(xp, gf, mr, mc, gxf, finite, half, planes))
    else:
        _max2x2_backward_part(xp, gf, mr, mc, gxf, finite, 0, planes)
    return gx


def _max2x2_backward_part(xp: Any, g: Any, mr: Any, mc: Any, gx: Any, finite: bool, a: int,
                          b: int) -> None:
    """:func:`_max2x2_backward` over the planes ``a:b`` of ``g`` (planes, OH, OW), into theirs
    of ``gx`` (planes, H, W)."""
    oh, ow = g.shape[1], g.shape[2]
    g2 = g[a:b].reshape(-1, ow)  # (planes * OH, OW)
    r = mr[a * oh:b * oh]
    gv = xp.empty((g2.shape[0], 2, ow), g.dtype)
    _route(xp, gv[:, 1], g2, r, finite)
    _route(xp, gv[:, 0], g2, ~r, finite)
    g1 = gv.reshape(-1)  # (planes * H * OW)
    c = mc[a * 2 * oh * ow:b * 2 * oh * ow]
    gxp = gx[a:b].reshape(-1, 2)
    _route(xp, gxp[:, 1], g1, c, finite)
    _route(xp, gxp[:, 0], g1, ~c, finite)


def _route(xp: Any, dst: Any, src: Any, mask: Any, finite: bool) -> None:
    """``dst = src`` where ``mask``, else 0. A product with the mask when ``src`` is finite (a
    masked copy is several times slower); otherwise the copy (``inf * 0`` would be nan)."""
    if finite:
        xp.multiply(src, mask, out=dst)
    else:
        dst[...] = 0
        xp.copyto(dst, src, where=mask)


class MaxPool(Function):
    """``out[o] = max over the window of o of x`` (1-d or 2-d windows with stride, padding by
    -inf, dilation, ceil mode); the gradient goes to the window's first maximum."""

    @staticmethod
    def forward(ctx: Any, x: Any, geom: _Geom, sink: list | None) -> Any:
        xp = get_xp(x)
        g = ctx.geom = geom
        want_idx = sink is not None or bool(ctx.needs_input_grad and ctx.needs_input_grad[0])
        if g.nd == 2 and g.k == (2, 2) and g.tiled and x.size:
            out, mr, mc = _max2x2(x)
            ctx.idx, ctx.masks = None, (mr, mc)
            if sink is not None:  # window-local index of the first maximum: 2 * row + col
                c = mc.reshape(-1, 2, out.shape[-1])
                col = xp.where(mr, c[:, 1], c[:, 0])
                idx = (mr.astype(np.int8) * 2 + col).reshape(out.shape)
                sink.append(g.flat_indices(idx))
            return out
        ctx.masks = None
        b = g.padded(x, _lowest(x.dtype))
        idt = _idx_dtype(g.ksize)
        if g.ksize == 1:
            out = xp.array(g.view(b, g.offsets[0]), copy=True)
            idx = xp.zeros(out.shape, dtype=idt) if want_idx else None
        elif g.ksize > _BIG_WINDOW:
            w = g.windows(b).reshape(g.lead + g.out + (g.ksize,))
            if want_idx:
                idx = xp.argmax(w, axis=-1)
                out = xp.take_along_axis(w, idx[..., None], axis=-1)[..., 0]
                idx = idx.astype(idt)
            else:
                out, idx = w.max(axis=-1), None
        else:
            if g.nd == 2 and min(g.k) > 1 and g.ksize > 4:
                out, idx = _separable_max(b, g, want_idx, idt)
            else:
                out, idx = _tournament([(g.view(b, off), n) for n, off in enumerate(g.offsets)],
                                       want_idx, idt)
            if out.base is not None or not out.flags.c_contiguous:
                out = xp.ascontiguousarray(out)
        if idx is not None and any(g.p) and x.dtype.kind == "f" and bool((out == -np.inf).any()):
            idx = _first_inside(g, out, idx)
        ctx.idx = idx
        if sink is not None:
            sink.append(g.flat_indices(idx))
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        xp = get_xp(grad_out)
        g, idx = ctx.geom, ctx.idx
        if ctx.masks is not None:
            mr, mc = ctx.masks
            return _max2x2_backward(grad_out, mr, mc, g.lead + g.size), None, None
        if g.ksize == 1 and g.tiled:
            return grad_out.copy(), None, None
        gb = xp.zeros(g.lead + g.buf, dtype=grad_out.dtype)
        if g.ksize > _BIG_WINDOW:
            _scatter_windows(gb, g, idx, grad_out)
        elif g.disjoint:  # each buffer element belongs to at most one window: plain writes
            finite = bool(xp.isfinite(grad_out).all())
            for n, off in enumerate(g.offsets):
                _route(xp, g.view(gb, off), grad_out, idx == n, finite)
        else:  # overlapping windows: accumulate; scratch buffers are reused across offsets
            m = xp.empty(idx.shape, dtype=bool)
            tmp = xp.empty(grad_out.shape, dtype=grad_out.dtype)
            for n, off in enumerate(g.offsets):
                xp.equal(idx, n, out=m)
                xp.multiply(m, grad_out, out=tmp)
                v = g.view(gb, off)
                v += tmp
        return g.unpad(gb), None, None


def _first_inside(g: _Geom, out: Any, idx: Any) -> Any:
    """PyTorch never selects padding: a window whose input elements are all -inf (or that
    holds none) reports its first element inside the input."""
    xp = get_xp(out)
    local: Any = 0
    for i in range(g.nd):
        start = np.arange(g.out[i]) * g.s[i] - g.p[i]
        j = np.minimum(-(np.minimum(start, 0) // g.d[i]), g.k[i] - 1)  # ceil(-start / d)
        j = j.reshape((-1,) + (1,) * (g.nd - 1 - i)) * math.prod(g.k[i + 1:])
        local = local + j
    return xp.where(out == -np.inf, xp.asarray(local.astype(idx.dtype)), idx)


def _scatter_windows(gb: Any, g: _Geom, idx: Any, grad_out: Any) -> None:
    """``gb[position of each window's winner] += grad_out`` (big windows): positions are
    unique when windows are disjoint, else summed with ``bincount``."""
    xp = get_xp(gb)
    idx = idx.astype(np.int64)
    pos: Any = 0
    rest = g.ksize
    for i in range(g.nd):
        rest //= g.k[i]
        j = (idx // rest) % g.k[i]
        base = xp.arange(g.out[i], dtype=np.int64) * g.s[i]
        p_i = base.reshape((-1,) + (1,) * (g.nd - 1 - i)) + j * g.d[i]
        pos = pos + p_i * math.prod(g.buf[i + 1:])
    plane = math.prod(g.buf)
    rows = math.prod(g.lead)
    pos = pos.reshape(rows, math.prod(g.out)) + \
        (xp.arange(rows, dtype=np.int64) * plane)[:, None]
    flat = gb.reshape(-1)
    if g.disjoint:
        flat[pos.reshape(-1)] = grad_out.reshape(-1)
    else:
        s = xp.bincount(pos.reshape(-1), weights=grad_out.reshape(-1), minlength=flat.size)
        flat[...] = s.astype(gb.dtype, copy=False)


def _max_pool(input: Any, nd: int, op: str, kernel_size: Any, stride: Any, padding: Any,
              dilation: Any, ceil_mode: bool, return_indices: bool) -> Any:
    x = _spatial_input(input, nd, op)
    k = _ints(kernel_size, nd, op, "kernel_size")
    geom = _Geom(tuple(x.data.shape), k, _stride(stride, nd, op, k),
                 _ints(padding, nd, op, "padding"), _ints(dilation, nd, op, "dilation"),
                 bool(ceil_mode), op, max_pad=True)
    if x.dtype.kind == "b":
        raise RuntimeError(f"{op}: not implemented for bool input")
    sink: list | None = [] if return_indices else None
    out = MaxPool.apply(x, geom, sink)
    if return_indices:
        assert sink is not None
        return out, Tensor._make(sink[0])
    return out


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """1-d max pooling: ``out[n, c, l] = max_k x[n, c, l * stride - padding + k * dilation]``.

    Args:
        input: ``(N, C, L)`` or ``(C, L)``.
        kernel_size: window size. stride: step (default ``kernel_size``).
        padding: implicit ``-inf`` on both sides (at most half the effective kernel).
        dilation: spacing of the window elements. ceil_mode: round the output size up.
        return_indices: also return the flat position (in ``L``) of each maximum.

    Shape:
        ``L_out = floor((L + 2 padding - dilation (kernel_size - 1) - 1) / stride) + 1``
        (``ceil`` with ``ceil_mode``).

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.max_pool1d(lightgrad.tensor([[1.0, 5.0, 2.0, 3.0, 4.0]]), 2)
        tensor([[5., 3.]])
    """
    return _max_pool(input, 1, "max_pool1d", kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """2-d max pooling: ``out[n, c, i, j] = max over the (kh, kw) window at
    (i * sh - ph, j * sw - pw) of x`` (window elements ``dilation`` apart).

    Args:
        input: ``(N, C, H, W)`` or ``(C, H, W)``.
        kernel_size: window size (int or ``(kh, kw)``). stride: step (default
            ``kernel_size``). padding: implicit ``-inf`` (at most half the effective kernel).
        dilation: spacing of the window elements. ceil_mode: round the output size up.
        return_indices: also return each maximum's flat position ``h * W + w`` in its
            channel (the input :func:`max_unpool2d` takes).

    Shape:
        ``H_out = floor((H + 2 ph - dh (kh - 1) - 1) / sh) + 1`` (``ceil`` with ``ceil_mode``),
        the same for ``W_out``.

    Returns:
        the pooled tensor, or ``(pooled, indices)`` (int64) with ``return_indices``.

    Example:
        The 2x2 max pool of [[1, 3], [2, 4]] keeps the largest value:

        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.max_pool2d(lightgrad.tensor([[[1.0, 3.0], [2.0, 4.0]]]), 2)
        tensor([[[4.]]])
        >>> out, idx = F.max_pool2d(lightgrad.tensor([[[1.0, 3.0], [2.0, 4.0]]]), 2,
        ...                         return_indices=True)
        >>> idx
        tensor([[[3]]])
    """
    return _max_pool(input, 2, "max_pool2d", kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool1d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1,
                            ceil_mode: bool = False, return_indices: bool = True) -> Any:
    """:func:`max_pool1d` returning ``(output, indices)``."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1,
                            ceil_mode: bool = False, return_indices: bool = True) -> Any:
    """:func:`max_pool2d` returning ``(output, indices)``."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


# ----------------------------------------------------------------------------- avg pooling
def _divisor(g: _Geom, count_include_pad: bool, divisor_override: int | None,
             xp: Any, dtype: Any) -> Any:
    """The divisor of each window (a scalar when they all agree), as PyTorch's kernel: windows
    are clipped to the padded input; ``count_include_pad=False`` counts input elements only."""
    if divisor_override is not None:
        return divisor_override
    per_dim = []
    for n, o, ki, si, pi in zip(g.size, g.out, g.k, g.s, g.p):
        start = np.arange(o) * si - pi
        end = np.minimum(start + ki, n + pi)
        if count_include_pad:
            cnt = end - start
        else:
            cnt = np.minimum(end, n) - np.maximum(start, 0)
        per_dim.append(cnt)
    div = per_dim[0]
    for c in per_dim[1:]:
        div = np.multiply.outer(div, c)
    if div.min() == div.max():
        return int(div.flat[0])
    return xp.asarray(div.astype(dtype))


def _divide(s: Any, div: Any) -> Any:
    if s.dtype.kind == "f":
        return s / div
    xp = get_xp(s)  # PyTorch divides integers truncating toward zero
    return xp.trunc(s / div).astype(s.dtype)


class AvgPool(Function):
    """``out[o] = sum over the window of o of x / divisor`` (zero padding, ceil mode,
    ``count_include_pad``, ``divisor_override``); d/dx spreads ``grad / divisor`` over each
    window."""

    @staticmethod
    def forward(ctx: Any, x: Any, geom: _Geom, count_include_pad: bool,
                divisor_override: int | None) -> Any:
        xp = get_xp(x)
        g = ctx.geom = geom
        div = ctx.div = _divisor(g, count_include_pad, divisor_override, xp, x.dtype)
        if g.tiled and g.ksize > 16:
            shape = g.lead + tuple(v for o, ki in zip(g.out, g.k) for v in (o, ki))
            axes = tuple(range(len(g.lead) + 1, len(shape), 2))
            s = x.reshape(shape).sum(axis=axes, dtype=x.dtype if x.dtype.kind == "f" else None)
        else:
            b = g.padded(x, 0)
            views = [g.view(b, off) for off in g.offsets]
            if x.dtype.kind != "f":
                views = [v.astype(np.int64) for v in views]
            s = views[0].copy() if len(views) == 1 else views[0] + views[1]
            for v in views[2:]:
                s += v
        out = _divide(s, div)
        return out.astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        xp = get_xp(grad_out)
        g = ctx.geom
        gd = grad_out / ctx.div if isinstance(ctx.div, int) else grad_out / ctx.div
        if gd.dtype != grad_out.dtype:
            gd = gd.astype(grad_out.dtype)
        if g.tiled:
            inter = g.lead + tuple(v for o, ki in zip(g.out, g.k) for v in (o, ki))
            bshape = g.lead + tuple(v for o in g.out for v in (o, 1))
            gx = xp.broadcast_to(gd.reshape(bshape), inter)
            return xp.ascontiguousarray(gx).reshape(g.lead + g.size), None, None, None
        gb = xp.zeros(g.lead + g.buf, dtype=grad_out.dtype)
        for off in g.offsets:
            v = g.view(gb, off)
            if g.disjoint:
                v[...] = gd
            else:
                v += gd
        return g.unpad(gb), None, None, None


def _avg_pool(input: Any, nd: int, op: str, kernel_size: Any, stride: Any, padding: Any,
              ceil_mode: bool, count_include_pad: bool, divisor_override: Any) -> Tensor:
    x = _spatial_input(input, nd, op)
    k = _ints(kernel_size, nd, op, "kernel_size")
    geom = _Geom(tuple(x.data.shape), k, _stride(stride, nd, op, k),
                 _ints(padding, nd, op, "padding"), (1,) * nd,
                 bool(ceil_mode), op, max_pad=False)
    if divisor_override is not None:
        if isinstance(divisor_override, bool) or not isinstance(divisor_override,
                                                                 int | np.integer):
            raise TypeError(f"{op}(): argument 'divisor_override' must be int, not "
                            f"{type(divisor_override).__name__}")
        if divisor_override == 0:
            raise RuntimeError(f"{op}: divisor must be not zero")
        divisor_override = int(divisor_override)
    if x.dtype.kind == "b":
        raise RuntimeError(f"{op}: not implemented for bool input")
    return AvgPool.apply(x, geom, bool(count_include_pad), divisor_override)


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """1-d average pooling: ``out[n, c, l] = mean of x[n, c, l*stride - padding : ... +
    kernel_size]`` (zero padding counted unless ``count_include_pad=False``).

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.avg_pool1d(lightgrad.tensor([[1.0, 3.0, 2.0, 6.0]]), 2)
        tensor([[2., 4.]])
    """
    return _avg_pool(input, 1, "avg_pool1d", kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)


def avg_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """2-d average pooling: ``out[n, c, i, j] = sum over the (kh, kw) window / divisor``.

    Args:
        input: ``(N, C, H, W)`` or ``(C, H, W)``.
        kernel_size, stride (default ``kernel_size``), padding (zeros, at most half the
            kernel), ceil_mode: as :func:`max_pool2d`.
        count_include_pad: divide by the window size including the zero padding (default)
            rather than by the number of input elements in it.
        divisor_override: divide by this instead.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.avg_pool2d(lightgrad.tensor([[[1.0, 3.0], [2.0, 6.0]]]), 2)
        tensor([[[3.]]])
    """
    return _avg_pool(input, 2, "avg_pool2d", kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


# ----------------------------------------------------------------------------- adaptive
def _adaptive_bounds(n: int, o: int) -> tuple[np.ndarray, np.ndarray]:
    i = np.arange(o)
    return (i * n) // o, -((-(i + 1) * n) // o)


def _output_size(output_size: Any, x: Tensor, nd: int, op: str) -> tuple[int, ...]:
    size = tuple(x.data.shape[x.ndim - nd:])
    if isinstance(output_size, int | np.integer) and not isinstance(output_size, bool):
        out: tuple = (int(output_size),) * nd
    elif isinstance(output_size, tuple | list):
        if len(output_size) == 1:
            output_size = tuple(output_size) * nd
        if len(output_size) != nd:
            raise RuntimeError(f"{op}: output_size must be {nd}, got {tuple(output_size)}")
        out = tuple(size[i] if v is None else v for i, v in enumerate(output_size))
        for v in out:
            if isinstance(v, bool) or not isinstance(v, int | np.integer):
                raise TypeError(f"{op}(): argument 'output_size' must be tuple of ints, but "
                                f"found element of type {type(v).__name__}")
    else:
        raise TypeError(f"{op}(): argument 'output_size' must be tuple of ints, not "
                        f"{type(output_size).__name__}")
    out = tuple(int(v) for v in out)
    if min(out) < 0:
        raise RuntimeError(f"{op}: elements of output_size must be greater than or equal to 0 "
                           f"but received {out}")
    return out


def _axis_apply(xp: Any, x: Any, mat: Any, axis: int) -> Any:
    """Contract axis ``axis`` (negative) of ``x`` with ``mat`` (new, old): ``mat @ x`` along
    that axis."""
    if axis == -1:
        return xp.matmul(x, mat.T)
    if axis == -2:
        return xp.matmul(mat, x)
    moved = xp.moveaxis(x, axis, -1)
    return xp.moveaxis(xp.matmul(moved, mat.T), -1, axis)


class AdaptiveAvgPool(Function):
    """``out[o] = mean of x over [floor(o L / O), ceil((o + 1) L / O))`` per spatial dim,
    for sizes that do not divide: separable, so one small matrix product per dim (and its
    transpose in backward)."""

    @staticmethod
    def forward(ctx: Any, x: Any, out_size: tuple) -> Any:
        xp = get_xp(x)
        nd = len(out_size)
        mats = []
        for n, o in zip(x.shape[x.ndim - nd:], out_size):
            st, en = _adaptive_bounds(n, o)
            cols = np.arange(n)
            m = ((cols >= st[:, None]) & (cols < en[:, None])) / (en - st)[:, None]
            mats.append(xp.asarray(m.astype(x.dtype)))
        ctx.mats = mats
        out = x
        for i in range(nd - 1, -1, -1):
            out = _axis_apply(xp, out, mats[i], i - nd)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        xp = get_xp(grad_out)
        nd = len(ctx.mats)
        g = grad_out
        for i in range(nd):
            g = _axis_apply(xp, g, ctx.mats[i].T, i - nd)
        return xp.ascontiguousarray(g), None


def _adaptive_avg_pool(input: Any, output_size: Any, nd: int, op: str) -> Tensor:
    x = _spatial_input(input, nd, op)
    if x.dtype.kind != "f":
        raise RuntimeError(f"{op}: mean could not infer output dtype: the input must be "
                           f"floating point, got {x.dtype}")
    out = _output_size(output_size, x, nd, op)
    size = tuple(x.data.shape[x.ndim - nd:])
    if all(o and n % o == 0 for n, o in zip(size, out)):
        k = tuple(n // o for n, o in zip(size, out))
        geom = _Geom(tuple(x.data.shape), k, k, (0,) * nd, (1,) * nd, False, op, max_pad=False)
        return AvgPool.apply(x, geom, True, None)
    return AdaptiveAvgPool.apply(x, out)


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """Average over ``output_size`` windows ``[floor(i L / O), ceil((i + 1) L / O))``.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.adaptive_avg_pool1d(lightgrad.tensor([[1.0, 2.0, 3.0, 4.0, 5.0]]), 2)
        tensor([[2., 4.]])
    """
    return _adaptive_avg_pool(input, output_size, 1, "adaptive_avg_pool1d")


def adaptive_avg_pool2d(input: Tensor, output_size: Any) -> Tensor:
    """2-d adaptive average pooling to ``output_size = (H_out, W_out)`` (an int for a square;
    ``None`` keeps that dim): window ``i`` of a dim of size ``L`` is
    ``[floor(i L / O), ceil((i + 1) L / O))``.

    Example:
        Global average pooling:

        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.adaptive_avg_pool2d(lightgrad.arange(8.0).reshape(1, 2, 4), 1)
        tensor([[[3.5000]]])
    """
    return _adaptive_avg_pool(input, output_size, 2, "adaptive_avg_pool2d")


class AdaptiveMaxPool(Function):
    """``out[o] = max of x over [floor(o L / O), ceil((o + 1) L / O))`` per spatial dim, for
    sizes that do not divide; the gradient goes to the first maximum (flat indices kept)."""

    @staticmethod
    def forward(ctx: Any, x: Any, out_size: tuple, sink: list | None) -> Any:
        xp = get_xp(x)
        nd = len(out_size)
        size = x.shape[x.ndim - nd:]
        starts, lens = [], []
        for n, o in zip(size, out_size):
            st, en = _adaptive_bounds(n, o)
            starts.append(st)
            lens.append(en - st)
        best = idx = None
        for off in itertools.product(*(range(int(ln.max())) for ln in lens)):
            pos = [st + np.minimum(j, ln - 1) for st, ln, j in zip(starts, lens, off)]
            mesh = np.ix_(*pos)
            flat = xp.asarray(np.ravel_multi_index(mesh, size) if nd > 1 else pos[0])
            v = x[(Ellipsis,) + tuple(xp.asarray(m) for m in mesh)]
            if best is None:
                best, idx = v, xp.broadcast_to(flat, v.shape)
            else:
                m = v > best
                idx = xp.where(m, flat, idx)
                best = xp.maximum(best, v)
        assert best is not None and idx is not None
        ctx.idx, ctx.shape, ctx.nd = idx, x.shape, nd
        if sink is not None:
            sink.append(xp.array(idx, dtype=np.int64, copy=True))
        return xp.ascontiguousarray(best)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        xp = get_xp(grad_out)
        shape, nd = ctx.shape, ctx.nd
        rows = math.prod(shape[:len(shape) - nd])
        plane = math.prod(shape[len(shape) - nd:])
        # overlapping windows may share a maximum: sum with bincount (not a hot path)
        pos = xp.broadcast_to(ctx.idx, grad_out.shape).reshape(rows, -1 if rows else 0) + \
            (xp.arange(rows, dtype=np.int64) * plane)[:, None]
        s = xp.bincount(pos.reshape(-1), weights=grad_out.reshape(-1), minlength=rows * plane)
        return s.astype(grad_out.dtype, copy=False).reshape(shape), None, None


def _adaptive_max_pool(input: Any, output_size: Any, nd: int, op: str,
                       return_indices: bool) -> Any:
    x = _spatial_input(input, nd, op)
    if x.dtype.kind == "b":
        raise RuntimeError(f"{op}: not implemented for bool input")
    out = _output_size(output_size, x, nd, op)
    size = tuple(x.data.shape[x.ndim - nd:])
    if min(out) == 0:
        raise RuntimeError(f"{op}: output_size must be greater than 0, got {out}")
    sink: list | None = [] if return_indices else None
    if all(n % o == 0 for n, o in zip(size, out)):
        k = tuple(n // o for n, o in zip(size, out))
        geom = _Geom(tuple(x.data.shape), k, k, (0,) * nd, (1,) * nd, False, op, max_pad=True)
        res = MaxPool.apply(x, geom, sink)
    else:
        res = AdaptiveMaxPool.apply(x, out, sink)
    if return_indices:
        assert sink is not None
        return res, Tensor._make(sink[0])
    return res


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """Max over ``output_size`` windows ``[floor(i L / O), ceil((i + 1) L / O))``; with
    ``return_indices`` also the flat position of each maximum.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.adaptive_max_pool1d(lightgrad.tensor([[1.0, 5.0, 2.0, 3.0, 4.0]]), 2)
        tensor([[5., 4.]])
    """
    return _adaptive_max_pool(input, output_size, 1, "adaptive_max_pool1d", return_indices)


def adaptive_max_pool2d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """2-d adaptive max pooling to ``output_size = (H_out, W_out)`` (an int for a square,
    ``None`` keeps that dim); windows as :func:`adaptive_avg_pool2d`; with ``return_indices``
    also each maximum's flat position ``h * W + w``.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.adaptive_max_pool2d(lightgrad.tensor([[[1.0, 3.0], [2.0, 4.0]]]), 1)
        tensor([[[4.]]])
    """
    return _adaptive_max_pool(input, output_size, 2, "adaptive_max_pool2d", return_indices)


def adaptive_max_pool1d_with_indices(input: Tensor, output_size: Any,
                                     return_indices: bool = True) -> Any:
    """:func:`adaptive_max_pool1d` returning ``(output, indices)``."""
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size: Any,
                                     return_indices: bool = True) -> Any:
    """:func:`adaptive_max_pool2d` returning ``(output, indices)``."""
    return adaptive_max_pool2d(input, output_size, True)


# ----------------------------------------------------------------------------- unpooling
class MaxUnpool(Function):
    """``out.flat[indices[i]] = x[i]`` per channel, zeros elsewhere (the partial inverse of max
    pooling); d/dx gathers the gradient back from those positions."""

    @staticmethod
    def forward(ctx: Any, x: Any, idx: Any, out_size: tuple) -> Any:
        xp = get_xp(x)
        nd = len(out_size)
        lead = x.shape[:x.ndim - nd]
        rows = math.prod(lead)
        plane = math.prod(out_size)
        pos = idx.reshape(rows, math.prod(x.shape[x.ndim - nd:])) + \
            (xp.arange(rows, dtype=np.int64) * plane)[:, None]
        pos = ctx.pos = pos.reshape(-1)
        ctx.shape = x.shape
        out = xp.zeros(rows * plane, dtype=x.dtype)
        out[pos] = x.reshape(-1)
        return out.reshape(lead + tuple(out_size))

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        return grad_out.reshape(-1)[ctx.pos].reshape(ctx.shape), None, None


def _max_unpool(input: Any, indices: Any, nd: int, op: str, kernel_size: Any, stride: Any,
                padding: Any, output_size: Any) -> Tensor:
    x = as_tensor_arg(input, op)
    if not isinstance(indices, Tensor):
        raise TypeError(f"{op}(): argument 'indices' must be Tensor, not "
                        f"{type(indices).__name__}")
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{op}: Input to max_unpooling{nd}d should be a {nd + 1}d or "
                           f"{nd + 2}d Tensor, but got a tensor with {x.ndim} dimensions "
                           f"(shape {tuple(x.shape)})")
    if indices.dtype != np.int64:
        raise RuntimeError(f"{op}: elements in indices should be type int64 but got: "
                           f"{indices.dtype}")
    if tuple(indices.shape) != tuple(x.shape):
        raise RuntimeError(f"{op}: Expected shape of indices to be same as that of the input "
                           f"tensor ({tuple(x.shape)}) but got indices tensor with shape: "
                           f"{tuple(indices.shape)}")
    k = _ints(kernel_size, nd, op, "kernel_size")
    s = _stride(stride, nd, op, k)
    p = _ints(padding, nd, op, "padding")
    insize = tuple(x.shape[x.ndim - nd:])
    default = [(n - 1) * si + ki - 2 * pi for n, ki, si, pi in zip(insize, k, s, p)]
    if output_size is None:
        out = default
    else:
        if isinstance(output_size, Tensor):
            output_size = output_size.tolist()
        out = [operator.index(v) for v in output_size]
        if len(out) == nd + 2:
            out = out[2:]
        if len(out) != nd:
            raise ValueError(f"{op}: output_size should be a sequence containing {nd} or "
                             f"{nd + 2} elements, but it has a length of '{len(out)}'")
        for d in range(nd):
            lo, hi = default[d] - s[d], default[d] + s[d]
            if not lo < out[d] < hi:
                raise ValueError(f'{op}: invalid output_size "{tuple(out)}" (dim {d} must be '
                                 f"between {lo} and {hi})")
    for d in range(nd):
        if out[d] < 0:
            raise ValueError(f"{op}: output_size must contain non-negative spatial dimensions, "
                             f"but got output_size[{d}]={out[d]}")
    plane = math.prod(out)
    idx = indices.data
    if idx.size:
        lo_i, hi_i = int(idx.min()), int(idx.max())
        if lo_i < 0 or hi_i >= plane:
            bad = lo_i if lo_i < 0 else hi_i
            raise RuntimeError(f"{op}: Found an invalid max index: {bad} (output volumes are "
                               f"of size {'x'.join(str(v) for v in out)})")
    return MaxUnpool.apply(x, indices, tuple(out))


def max_unpool1d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """Partial inverse of :func:`max_pool1d`: put each value at its saved index (from
    ``return_indices=True``), zeros elsewhere.

    Shape:
        ``L_out = (L - 1) stride - 2 padding + kernel_size`` unless ``output_size`` is given.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> out, idx = F.max_pool1d(lightgrad.tensor([[1.0, 5.0, 2.0, 3.0]]), 2,
        ...                         return_indices=True)
        >>> F.max_unpool1d(out, idx, 2)
        tensor([[0., 5., 0., 3.]])
    """
    return _max_unpool(input, indices, 1, "max_unpool1d", kernel_size, stride, padding,
                       output_size)


def max_unpool2d(input: Tensor, indices: Tensor, kernel_size: Any, stride: Any = None,
                 padding: Any = 0, output_size: Any = None) -> Tensor:
    """Partial inverse of :func:`max_pool2d`: ``out.view(N, C, -1)[n, c, indices[n, c, i]] =
    input[n, c, i]``, zeros elsewhere (SegNet's decoder upsampling with the encoder's saved
    pool indices).

    Args:
        input: ``(N, C, H, W)`` or ``(C, H, W)``.
        indices: int64, the same shape (``max_pool2d(..., return_indices=True)``).
        kernel_size, stride (default ``kernel_size``), padding: the pool's.
        output_size: ``(H_out, W_out)`` (or with ``N, C`` in front) to undo an odd size.

    Shape:
        ``H_out = (H - 1) sh - 2 ph + kh`` unless ``output_size`` is given; same for ``W``.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> x = lightgrad.tensor([[[1.0, 3.0], [2.0, 4.0]]])
        >>> out, idx = F.max_pool2d(x, 2, return_indices=True)
        >>> F.max_unpool2d(out, idx, 2)
        tensor([[[0., 0.],
                 [0., 4.]]])
    """
    return _max_unpool(input, indices, 2, "max_unpool2d", kernel_size, stride, padding,
                       output_size)


# ----------------------------------------------------------------------------- power average
def _lp_pool(input: Any, norm_type: float, kernel_size: Any, stride: Any, ceil_mode: bool,
             nd: int, op: str) -> Tensor:
    from .activation import relu

    x = as_tensor_arg(input, op)
    if norm_type == math.inf:
        return _max_pool(x.abs(), nd, op, kernel_size, stride, 0, 1, ceil_mode, False)
    if norm_type == -math.inf:
        return -_max_pool(-x.abs(), nd, op, kernel_size, stride, 0, 1, ceil_mode, False)
    k = _ints(kernel_size, nd, op, "kernel_size")
    out = _avg_pool(x.pow(norm_type), nd, op, kernel_size, stride, 0, ceil_mode, True, None)
    return (out.sign() * relu(out.abs())).mul(math.prod(k)).pow(1.0 / norm_type)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size: int, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """Power-average pooling ``(sum over the window of x^p)^(1/p)`` (``p = inf``: max of
    ``|x|``).

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.lp_pool1d(lightgrad.tensor([[3.0, 4.0]]), 2, 2)
        tensor([[5.]])
    """
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1, "lp_pool1d")


def lp_pool2d(input: Tensor, norm_type: float, kernel_size: Any, stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """2-d power-average pooling ``(sum over the (kh, kw) window of x^p)^(1/p)``
    (``p = 1``: sum pooling; ``p = inf``: max of ``|x|``).

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.lp_pool2d(lightgrad.tensor([[[3.0, 0.0], [0.0, 4.0]]]), 2, 2)
        tensor([[[5.]]])
    """
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2, "lp_pool2d")

