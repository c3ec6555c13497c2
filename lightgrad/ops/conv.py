"""Convolution ops: ``conv1d/2d/3d``, ``conv_transpose1d/2d/3d``, ``unfold`` (im2col) and
``fold`` (col2im), as fused Functions with hand-written backwards.

Each convolution is im2col plus BLAS products in a channels-first layout chosen so that no
operand or result needs a transpose:

* ``cols`` (N, C*prod(K), prod(O)) is the strided window view of the (zero-padded) input made
  contiguous -- the one copy of the forward. Its rows are (channel, kernel tap) pairs in the
  order of the weight's flattened ``(C/groups) * prod(K)`` axis, its columns the output pixels.
  A 1x1 kernel at stride 1 needs no copy: the input seen as (N, C, H*W) is ``cols``.
* ``out = W2 @ cols`` with ``W2 = weight.reshape(OC, -1)`` broadcast over the batch (one
  ``matmul`` call, a GEMM per sample inside BLAS) gives (N, OC, prod(O)), which *is* the NCHW
  output. Groups are one more batch axis of the same call: (g, OC/g, Cg*K) @ (N, g, Cg*K, P).
* ``grad_W = sum_n g_n @ cols_n^T`` (one batched product summed over the batch), ``grad_b`` a
  channel sum.
* ``grad_x`` is col2im of ``dcols = W2^T @ g``: ``prod(K)`` slice-adds, one per kernel tap,
  each over the whole batch, into a zero padded buffer; the padding is then cropped. No
  ``np.add.at``. At stride 1 with short output rows the adds run over the *flattened* image
  (:func:`_col2im_product_flat`): one long contiguous run per tap instead of one short add per
  output row.

Memory traffic, not arithmetic, decides the speed of the copies around the GEMMs:

* When a batch's ``cols`` would exceed ``_CHUNK_ABOVE`` (16 MB), im2col -> product and
  product -> col2im run over chunks of the batch sized to stay in cache (``_CHUNK_BYTES``),
  writing into a reused work buffer; the forward then keeps only the padded input and redoes
  the (cache-resident) im2col in backward. Smaller ``cols`` are formed at once and kept.
* On NumPy, with BLAS allowed 2 threads, the channels-major engine (big layers) splits the
  batch in two halves run at once on two threads (:func:`backend_kernels.host_pair`), each at
  one BLAS thread: the copies and adds around the GEMMs then use both cores too, and the
  per-sample GEMMs skip OpenBLAS's thread synchronization (cnn_mnist step 158 -> 114 ms).
  Small layers (the batch-major engine) with enough work split their batch the same way, each
  half running the whole engine, forward and backward (:func:`_pair_split`): their per-sample
  GEMMs are too small for OpenBLAS to thread at all.
* Temporaries that never leave this module live in per-thread reusable buffers
  (:func:`_scratch`): glibc returns freed multi-megabyte blocks to the OS, and faulting them
  back in on every step costs as much as the copies themselves.

The transposed convolution is the adjoint of the convolution: its forward is the convolution's
input-gradient (col2im) and its input-gradient is a convolution (im2col + product); its weight
gradient is the same product with the roles of input and upstream gradient swapped. ``unfold``
and ``fold`` are im2col and col2im themselves (each the other's gradient).

Works on NumPy and CuPy arrays (``as_strided`` exists in both).
"""

from __future__ import annotations

import functools
import itertools
import math
import threading
from typing import Any

import numpy as np

from .. import backend_kernels as _bk
from ..autograd.function import Function
from ..tensor import Tensor
from .operands import as_tensor_arg, check_same_device, get_xp

__all__ = [
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "unfold", "fold",
]

#: Target size of one batch chunk of im2col columns (kept in cache between copy and product)
#: once the whole batch's columns exceed ``_CHUNK_ABOVE`` bytes; below that the columns are
#: formed at once and kept for the weight gradient.
_CHUNK_BYTES = 1 << 20
#: Largest per-sample weight-gradient stack (elements) formed at once by ``_gemm_dw``.
_DW_CHUNK_ELEMS = 1 << 22
_CHUNK_ABOVE = 1 << 24
_COL2IM_CHUNK_ABOVE = 1 << 23  # col2im re-reads nothing: chunking costs only Python overhead
#: Output rows shorter than this are added by col2im as runs of the flattened image.
_ROWS_SHORT = 64
#: Per-sample multiply-adds above which a layer uses the channels-major engine (``_is_big``).
_BIG_GEMM = 1 << 19
#: Bytes of columns (whole batch) above which the channels-major engine splits the batch over
#: two threads (``_split``).
_SPLIT_ABOVE = 1 << 22
#: Multiply-adds (whole batch) above which a small-layer convolution splits its batch over two
#: threads (``_pair_split``).
_PAIR_ABOVE = 1 << 22


# ----------------------------------------------------------------------------- array kernels
_scratch_local = threading.local()


def _scratch(xp: Any, slot: str, shape: tuple, dtype: Any) -> Any:
    """A reusable uninitialized work array for temporaries that never leave this module (per
    thread and slot; NumPy only -- CuPy has its own memory pool). Reusing them avoids the page
    faults of fresh multi-megabyte allocations, which glibc hands back to the OS on free."""
    n = math.prod(shape)
    if xp is not np:
        return xp.empty(shape, dtype=dtype)
    bufs = _scratch_local.__dict__.setdefault("bufs", {})
    key = (slot, np.dtype(dtype))
    a = bufs.get(key)
    if a is None or a.size < n:
        a = bufs[key] = np.empty(n, dtype=dtype)
    return a[:n].reshape(shape)


def _pad_array(x: Any, pads: tuple) -> Any:
    """``x`` (N, C, *S) zero-padded by ``pads[d] = (before, after)`` on each spatial dim."""
    if not any(b or a for b, a in pads):
        return x
    xp = get_xp(x)
    shape = x.shape[:2] + tuple(n + b + a for n, (b, a) in zip(x.shape[2:], pads))
    out = xp.zeros(shape, dtype=x.dtype)
    out[(slice(None), slice(None)) + tuple(slice(b, b + n) for n, (b, _) in
                                           zip(x.shape[2:], pads))] = x
    return out


def _crop(a: Any, pads: tuple, size: tuple) -> Any:
    """The inverse of :func:`_pad_array` (a view)."""
    if not any(b or e for b, e in pads):
        return a
    return a[(slice(None), slice(None)) + tuple(slice(b, b + n) for n, (b, _) in
                                                zip(size, pads))]


def _window(src: Any, ksize: tuple, stride: tuple, dil: tuple, osize: tuple) -> Any:
    """The read-only window view ``v[n, c, *k, *o] = src[n, c, *(o * stride + k * dil)]``."""
    s = src.strides
    sp = s[2:]
    return _bk.as_strided(src, src.shape[:2] + ksize + osize,
                    s[:2] + tuple(a * d for a, d in zip(sp, dil))
                    + tuple(a * t for a, t in zip(sp, stride)))


def _im2col(src: Any, ksize: tuple, stride: tuple, dil: tuple, osize: tuple) -> Any:
    """``cols[n, c*prod(K) + k, p] = src[n, c, o(p)*stride + k*dil]``: (N, C*prod(K), prod(O)).

    The window view made C-contiguous by the reshape (one copy; none for a 1x1 kernel at
    stride 1 on a contiguous input, where the view already is the input)."""
    n, c = src.shape[:2]
    return _window(src, ksize, stride, dil, osize).reshape(n, c * math.prod(ksize),
                                                           math.prod(osize))


def _chunk(n: int, per_sample: int, itemsize: int, above: int | None = None) -> int:
    """Samples per batch chunk so that one chunk of columns stays cache-sized (``n``: no
    chunking, when all the columns take at most ``above`` bytes)."""
    size = per_sample * itemsize
    if n * size <= (_CHUNK_ABOVE if above is None else above):
        return max(n, 1)
    return max(1, _CHUNK_BYTES // max(size, 1))


@functools.lru_cache(maxsize=512)
def _col2im_keys(ksize: tuple, stride: tuple, dil: tuple, osize: tuple) -> tuple:
    """For each kernel offset: (index into the (N, C, *K, *O) columns, slice of the output)."""
    keys = []
    lead = (slice(None), slice(None))
    for k in itertools.product(*(range(n) for n in ksize)):
        dst = tuple(slice(i * d, i * d + t * (o - 1) + 1, t)
                    for i, d, t, o in zip(k, dil, stride, osize))
        keys.append((lead + k, lead + dst))
    return tuple(keys)


def _col2im_add(dst: Any, cols: Any, ksize: tuple, stride: tuple, dil: tuple,
                osize: tuple) -> None:
    """Adjoint of :func:`_im2col`: add the columns (N, C*prod(K), prod(O)) into ``dst``
    (N, C, *padded size), one strided slice-add per kernel offset."""
    if 0 in osize or 0 in dst.shape[:2]:
        return
    dc = cols.reshape(dst.shape[:2] + ksize + osize)
    for src, key in _col2im_keys(ksize, stride, dil, osize):
        dst[key] += dc[src]


def _col2im(cols: Any, c: int, ksize: tuple, stride: tuple, dil: tuple, osize: tuple,
            psize: tuple) -> Any:
    """:func:`_col2im_add` into a fresh zero (N, C, *psize) array."""
    out = get_xp(cols).zeros((cols.shape[0], c) + psize, dtype=cols.dtype)
    _col2im_add(out, cols, ksize, stride, dil, osize)
    return out


# ----------------------------------------------------------------------------- batch-major
# Small layers: the columns of each sample (N, C*prod(K), P) and one small GEMM per sample
# (NumPy's batched matmul), which stays in cache and below BLAS's threading threshold.
def _gemm_fwd(w2: Any, cols: Any, groups: int, out: Any = None) -> Any:
    """``W2 @ cols`` per group: (OC, Cg*K) x (N, C*K, P) -> (N, OC, P) (into ``out``)."""
    xp = get_xp(cols)
    if groups == 1:
        return xp.matmul(w2, cols, out=out)
    oc = w2.shape[0]
    n, ck, p = cols.shape
    wg = w2.reshape(groups, oc // groups, w2.shape[1])
    o4 = None if out is None else out.reshape(n, groups, oc // groups, p)
    r = xp.matmul(wg, cols.reshape(n, groups, ck // groups, p), out=o4)
    return r.reshape(n, oc, p) if out is None else out


def _gemm_dcols(w2: Any, g3: Any, groups: int, out: Any = None) -> Any:
    """``W2^T @ g`` per group: (OC, Cg*K) x (N, OC, P) -> (N, C*K, P) (into ``out``)."""
    xp = get_xp(g3)
    if groups == 1:
        return xp.matmul(w2.T, g3, out=out)
    oc, cgk = w2.shape
    n, _, p = g3.shape
    wg = w2.reshape(groups, oc // groups, cgk).transpose(0, 2, 1)
    o4 = None if out is None else out.reshape(n, groups, cgk, p)
    r = xp.matmul(wg, g3.reshape(n, groups, oc // groups, p), out=o4)
    return r.reshape(n, groups * cgk, p) if out is None else out


def _gemm_dw(g3: Any, cols: Any, groups: int) -> Any:
    """``sum_n g_n @ cols_n^T`` per group: (N, OC, P) x (N, C*K, P) -> (OC, Cg*K).

    One batched product summed over the batch (no transpose copy of ``cols``; computed as
    ``(cols_n @ g_n^T)^T``, the faster operand order for BLAS), in chunks of the batch when
    the stack of per-sample results would exceed ``_DW_CHUNK_ELEMS``."""
    xp = get_xp(g3)
    n, oc, p = g3.shape
    ck = cols.shape[1]
    ocg, cgk = oc // groups, ck // groups
    if groups > 1:
        g3 = g3.reshape(n, groups, ocg, p)
        cols = cols.reshape(n, groups, cgk, p)
    if n == 0:
        return xp.zeros((oc, cgk), dtype=g3.dtype)
    step = max(1, _DW_CHUNK_ELEMS // max(oc * cgk, 1))
    acc: Any = None
    for i in range(0, n, step):
        part = xp.matmul(cols[i:i + step], xp.swapaxes(g3[i:i + step], -1, -2))
        part = part[0] if part.shape[0] == 1 else part.sum(axis=0)
        if acc is None:
            acc = part
        else:
            acc += part
    return xp.swapaxes(acc, -1, -2).reshape(oc, cgk)


def _im2col_products(src: Any, ksize: tuple, stride: tuple, dil: tuple, osize: tuple,
                     groups: int, w2: Any = None, g3: Any = None, keep: bool = False,
                     out: Any = None) -> tuple[Any, Any, Any]:
    """For ``cols = im2col(src)``: ``out = W2 @ cols`` (when ``w2`` is given) and
    ``dw = sum_n g_n @ cols_n^T`` (when ``g3`` is given).

    Unless ``keep`` asks for the whole ``cols`` back (to reuse in backward; only when it is
    small, see ``_CHUNK_ABOVE``), the columns are copied chunk by chunk of the batch into a
    reused cache-sized work buffer and consumed while still in cache. A 1x1 kernel at stride 1
    needs no copy at all: the input itself is ``cols``. ``out`` (N, OC, P): where to write the
    product (default: a new array)."""
    xp = get_xp(src)
    n, c = src.shape[:2]
    ck, p = c * math.prod(ksize), math.prod(osize)
    dw: Any = None
    if src.shape[2:] == osize and all(k == 1 for k in ksize):
        cols = src.reshape(n, ck, p)  # a view when src is contiguous
        if cols.base is not None and not cols.flags.c_contiguous:
            cols = _contig(cols)
        nb = n
    else:
        nb = min(_chunk(n, ck * p, src.itemsize), max(n, 1))
        cols = _im2col(src, ksize, stride, dil, osize) if keep and nb >= n else None
    if cols is not None:
        if w2 is not None:
            out = _gemm_fwd(w2, cols, groups, out)
        if g3 is not None:
            dw = _gemm_dw(g3, cols, groups)
        return out, dw, (cols if keep else None)
    view = _window(src, ksize, stride, dil, osize)
    buf = _scratch(xp, "cols", (nb,) + view.shape[1:], src.dtype)
    if w2 is not None and out is None:
        out = xp.empty((n, w2.shape[0], p), dtype=src.dtype)
    if g3 is not None and n == 0:
        dw = xp.zeros((g3.shape[1], ck // groups), dtype=src.dtype)
    for i in range(0, n, nb):
        m = min(nb, n - i)
        b = buf[:m]
        xp.copyto(b, view[i:i + m])
        cols = b.reshape(m, ck, p)
        if w2 is not None:
            _gemm_fwd(w2, cols, groups, out[i:i + m])
        if g3 is not None:
            part = _gemm_dw(g3[i:i + m], cols, groups)
            if dw is None:
                dw = part
            else:
                dw += part
    return out, dw, None


def _col2im_product(w2: Any, g3: Any, groups: int, c: int, ksize: tuple, stride: tuple,
                    dil: tuple, osize: tuple, psize: tuple, out: Any = None) -> Any:
    """``col2im(W2^T @ g)`` into a zero (N, C, *psize) array (a new one, or ``out``, a
    C-contiguous array of that shape, zeroed and written in place), over cache-sized chunks of
    the batch (each chunk of columns is added into the image while still in cache)."""
    xp = get_xp(g3)
    n = g3.shape[0]
    ck, p = c * math.prod(ksize), math.prod(osize)
    if (len(osize) > 1 and p and osize[-1] < _ROWS_SHORT and ck >= g3.shape[1]
            and all(t == 1 for t in stride)):
        rs = tuple(math.prod(psize[i + 1:]) for i in range(len(psize)))
        span = sum((o - 1) * r for o, r in zip(osize, rs)) + 1
        if span <= 1.5 * p:
            return _col2im_product_flat(w2, g3, groups, c, ksize, dil, osize, psize, rs, span,
                                        out)
    if out is None:
        out = xp.zeros((n, c) + psize, dtype=g3.dtype)
    else:
        out.fill(0)
    nb = _chunk(n, ck * p, g3.itemsize, _COL2IM_CHUNK_ABOVE)
    buf = _scratch(xp, "dcols", (min(nb, n), ck, p), g3.dtype)
    if nb >= n:
        _col2im_add(out, _gemm_dcols(w2, g3, groups, buf), ksize, stride, dil, osize)
        return out
    for i in range(0, n, nb):
        m = min(nb, n - i)
        cols = _gemm_dcols(w2, g3[i:i + m], groups, buf[:m])
        _col2im_add(out[i:i + m], cols, ksize, stride, dil, osize)
    return out


def _col2im_product_flat(w2: Any, g3: Any, groups: int, c: int, ksize: tuple, dil: tuple,
                         osize: tuple, psize: tuple, rs: tuple, span: int,
                         out: Any = None) -> Any:
    """:func:`_col2im_product` for stride 1 with short output rows, on flattened images.

    The output pixels are embedded in the padded image's flat index (``q = sum o_i rs_i``,
    ``rs`` its row strides), so ``g`` becomes (N, OC, span) with zeros in the gaps between rows
    and the column of kernel offset ``k`` adds into ONE contiguous run ``[off_k, off_k + span)``
    of the flat image: long vectorized adds instead of one short add per output row. The
    products grow by ``span / prod(osize)`` (at most 1.5x, checked by the caller)."""
    xp = get_xp(g3)
    n, oc = g3.shape[:2]
    it = g3.itemsize
    ck = c * math.prod(ksize)
    if out is None:
        out = xp.zeros((n, c, math.prod(psize)), dtype=g3.dtype)
    else:  # a C-contiguous (n, c, *psize) array: written in place
        out = out.reshape(n, c, math.prod(psize))
        out.fill(0)
    offs = _flat_offsets(ksize, dil, rs)
    if n == 0:
        return out.reshape((n, c) + psize)
    nb = min(_chunk(n, ck * span, it, _COL2IM_CHUNK_ABOVE), n)
    ge = _scratch(xp, "gext", (nb, oc, span), g3.dtype)
    buf = _scratch(xp, "dcols", (nb, ck, span), g3.dtype)
    g = g3.reshape((n, oc) + osize)
    for i in range(0, n, nb):
        m = min(nb, n - i)
        gm = ge[:m]
        gm.fill(0)  # the gaps between rows
        _bk.as_strided(gm, (m, oc) + osize, (oc * span * it, span * it) + tuple(r * it for r in rs),
                 writeable=True)[...] = g[i:i + m]
        cols = _gemm_dcols(w2, gm, groups, buf[:m]).reshape(m, c, len(offs), span)
        dst = out[i:i + m]
        for j, off in enumerate(offs):
            dst[:, :, off:off + span] += cols[:, :, j]
    return out.reshape((n, c) + psize)


# ----------------------------------------------------------------------------- channels-major
# The convolution products work on "channels-major" columns colsT (C*prod(K), m*P) of a chunk
# of m samples: rows (channel, kernel tap) in the weight's flattened order, columns (sample,
# output pixel). Every product is then ONE GEMM per chunk (per group): few, large BLAS calls
# that multithread well, instead of a tiny GEMM per sample.
def _window_t(src: Any, ksize: tuple, stride: tuple, dil: tuple, osize: tuple) -> Any:
    """The read-only view ``v[c, *k, n, *o] = src[n, c, *(o * stride + k * dil)]``."""
    s = src.strides
    sp = s[2:]
    return _bk.as_strided(src, (src.shape[1],) + ksize + (src.shape[0],) + osize,
                    (s[1],) + tuple(a * d for a, d in zip(sp, dil)) + (s[0],)
                    + tuple(a * t for a, t in zip(sp, stride)))


def _to_t(xp: Any, a: Any, slot: str) -> Any:
    """``a`` (m, C, *S) as a channels-major work array (C, m*prod(S)) (one transposing copy)."""
    m, c = a.shape[:2]
    t = _scratch(xp, slot, (c, m * math.prod(a.shape[2:])), a.dtype)
    xp.copyto(t.reshape((c, m) + a.shape[2:]), xp.swapaxes(a, 0, 1))
    return t


def _from_t(xp: Any, at: Any, dst: Any, b: Any = None) -> None:
    """``dst`` (m, C, P) = the channels-major ``at`` (C, m*P) transposed back (+ ``b`` (C,))."""
    m, c, p = dst.shape
    v = xp.swapaxes(at.reshape(c, m, p), 0, 1)
    if b is None:
        xp.copyto(dst, v)
    else:
        xp.add(v, b.reshape(c, 1), out=dst)


def _mm_t(w2: Any, cols: Any, groups: int, out: Any) -> Any:
    """``W2 @ colsT`` per group: (OC, Cg*K) x (C*K, L) -> (OC, L), into ``out``."""
    xp = get_xp(cols)
    if groups == 1:
        return xp.matmul(w2, cols, out=out)
    oc, cgk = w2.shape
    n = cols.shape[1]
    xp.matmul(w2.reshape(groups, oc // groups, cgk), cols.reshape(groups, cgk, n),
              out=out.reshape(groups, oc // groups, n))
    return out


def _mm_t_dcols(w2: Any, gt: Any, groups: int, out: Any) -> Any:
    """``W2^T @ gT`` per group: (OC, Cg*K) x (OC, L) -> (C*K, L), into ``out``."""
    xp = get_xp(gt)
    if groups == 1:
        return xp.matmul(w2.T, gt, out=out)
    oc, cgk = w2.shape
    n = gt.shape[1]
    xp.matmul(xp.swapaxes(w2.reshape(groups, oc // groups, cgk), 1, 2),
              gt.reshape(groups, oc // groups, n), out=out.reshape(groups, cgk, n))
    return out


def _mm_t_dw(cols: Any, gt: Any, groups: int) -> Any:
    """``colsT @ gT^T`` per group: (C*K, L) x (OC, L) -> (g, Cg*K, OC/g), a fresh array (the
    transposed weight gradient; ``cols`` first is the faster operand order for BLAS)."""
    xp = get_xp(gt)
    ck, n = cols.shape
    oc = gt.shape[0]
    return xp.matmul(cols.reshape(groups, ck // groups, n),
                     xp.swapaxes(gt.reshape(groups, oc // groups, n), 1, 2))


def _dw_from_t(acc: Any, oc: int) -> Any:
    """(g, Cg*K, OC/g) -> (OC, Cg*K)."""
    xp = get_xp(acc)
    return xp.swapaxes(acc, 1, 2).reshape(oc, acc.shape[1])


def _im2col_pass(src: Any, ksize: tuple, stride: tuple, dil: tuple, osize: tuple, groups: int,
                 w2: Any = None, b: Any = None, gw: Any = None,
                 keep: bool = False) -> tuple[Any, Any, Any]:
    """The products of ``colsT = im2col(src)``: ``out = W2 @ colsT + b`` as (N, OC, P) (when
    ``w2`` is given) and the weight gradient ``sum gw @ colsT^T`` as (OC, Cg*K) (when ``gw``
    (N, OC, *O) is given).

    When the whole batch's columns are small (``_CHUNK_ABOVE``) they are formed at once (and
    returned too when ``keep``); larger ones are formed chunk by chunk of the batch into a
    reused work buffer and consumed while in cache."""
    xp = get_xp(src)
    n, c = src.shape[:2]
    ck, p = c * math.prod(ksize), math.prod(osize)
    out: Any = None
    acc: Any = None
    if w2 is not None:
        out = xp.empty((n, w2.shape[0], p), dtype=src.dtype)
    if n == 0:
        if gw is not None:
            acc = xp.zeros((groups, ck // groups, gw.shape[1] // groups), dtype=src.dtype)
        return out, None if acc is None else _dw_from_t(acc, gw.shape[1]), None
    nb = _chunk(n, ck * p, src.itemsize)
    view = _window_t(src, ksize, stride, dil, osize)
    if keep and nb >= n:  # all at once, the columns kept for backward
        cols = _contig(view.reshape(ck, n * p))
        acc = _im2col_chunks(xp, view, cols, 0, n, nb, ksize, osize, groups, w2, b, gw, out)
        return out, None if acc is None else _dw_from_t(acc, gw.shape[1]), cols
    h = _split(xp, n, nb, ck * p * src.itemsize)
    if h:
        accs: list = [None, None]

        def half(k: int, lo: int, hi: int) -> None:
            accs[k] = _im2col_chunks(xp, view, None, lo, hi, nb, ksize, osize, groups, w2, b,
                                     gw, out)

        _bk.host_pair(lambda: half(0, 0, h), lambda: half(1, h, n))
        acc = accs[0]
        if acc is not None:
            acc += accs[1]
    else:
        acc = _im2col_chunks(xp, view, None, 0, n, nb, ksize, osize, groups, w2, b, gw, out)
    dw = None if acc is None else _dw_from_t(acc, gw.shape[1])
    return out, dw, None


def _split(xp: Any, n: int, nb: int, per_sample: int) -> int:
    """Where to split a batch of ``n`` samples (chunks of ``nb``) over two threads (0: do not):
    NumPy arrays, at least two chunks, enough bytes of columns (``_SPLIT_ABOVE``) for the
    hand-over to pay, and the user allowing BLAS 2 threads (:func:`backend_kernels.host_pair`
    then runs each half at one BLAS thread)."""
    if xp is not np or n < 2 * nb or n * per_sample < _SPLIT_ABOVE or not _bk.host_pair_ok():
        return 0
    return -(-(n // 2) // nb) * nb  # a whole number of chunks in the first half


def _im2col_chunks(xp: Any, view: Any, cols: Any, lo: int, hi: int, nb: int, ksize: tuple,
                   osize: tuple, groups: int, w2: Any, b: Any, gw: Any, out: Any) -> Any:
    """:func:`_im2col_pass` over the samples ``lo:hi``, chunk by chunk: writes their rows of
    ``out`` and returns their part of the transposed weight gradient (or None). ``cols``: the
    whole batch's columns, already formed (then ``lo:hi`` is the whole batch)."""
    ck = view.shape[0] * math.prod(ksize)
    p = math.prod(osize)
    full = (slice(None),) * (1 + len(ksize))
    acc: Any = None
    for i in range(lo, hi, nb):
        m = min(nb, hi - i)
        if cols is None:
            c = _scratch(xp, "cols", (ck, m * p), view.dtype)
            xp.copyto(c.reshape(view.shape[:1 + len(ksize)] + (m,) + osize),
                      view[full + (slice(i, i + m),)])
        else:
            c = cols
        # one sample's channels-major layout is its own (OC, P) layout: no transposing copies
        if w2 is not None:
            if m == 1:
                o = _mm_t(w2, c, groups, out[i])
                if b is not None:
                    o += b.reshape(-1, 1)
            else:
                ot = _mm_t(w2, c, groups, _scratch(xp, "outT", (w2.shape[0], m * p), view.dtype))
                _from_t(xp, ot, out[i:i + m], b)
        if gw is not None:
            gt = gw[i].reshape(gw.shape[1], p) if m == 1 else _to_t(xp, gw[i:i + m], "gT")
            part = _mm_t_dw(c, gt, groups)
            if acc is None:
                acc = part
            else:
                acc += part
    return acc


def _col2im_pass(g: Any, w2: Any, groups: int, c: int, ksize: tuple, stride: tuple,
                 dil: tuple, osize: tuple, psize: tuple) -> Any:
    """``col2im(W2^T @ g)``: the input gradient (N, C, *psize) of a convolution for ``g``
    (N, OC, *osize), over cache-sized chunks of the batch.

    The columns of each chunk are summed back with one slice-add per kernel tap over the whole
    chunk. At stride 1 with short output rows, the adds run over the *flattened* image instead:
    the output pixels are embedded in the padded image's flat index (``q = sum o_i rs_i``, ``rs``
    its row strides), so ``g`` gets zeros in the gaps between rows and each tap adds ONE long
    contiguous run ``[off_k, off_k + span)`` (the products grow by ``span / prod(osize)``, at
    most 1.5x)."""
    xp = get_xp(g)
    n, oc = g.shape[:2]
    nk = math.prod(ksize)
    ck, p = c * nk, math.prod(osize)
    it = g.itemsize
    out = xp.zeros((n, c) + psize, dtype=g.dtype)
    if n == 0 or p == 0 or c == 0:
        return out
    rs = tuple(math.prod(psize[i + 1:]) for i in range(len(psize)))
    span = sum((o - 1) * r for o, r in zip(osize, rs)) + 1
    flat = (len(osize) > 1 and osize[-1] < _ROWS_SHORT and ck >= oc and span <= 1.5 * p
            and all(t == 1 for t in stride))
    nb = _chunk(n, ck * (span if flat else p), it, _COL2IM_CHUNK_ABOVE)
    args = (xp, g, w2, groups, c, ksize, stride, dil, osize, span if flat else 0, out, nb)
    h = _split(xp, n, nb, ck * p * it)
    if h:
        _bk.host_pair(lambda: _col2im_chunks(*args, 0, h), lambda: _col2im_chunks(*args, h, n))
    else:
        _col2im_chunks(*args, 0, n)
    return out


def _col2im_chunks(xp: Any, g: Any, w2: Any, groups: int, c: int, ksize: tuple, stride: tuple,
                   dil: tuple, osize: tuple, span: int, out: Any, nb: int, lo: int,
                   hi: int) -> None:
    """:func:`_col2im_pass` over the samples ``lo:hi``, chunk by chunk, into their rows of
    ``out``; ``span`` > 0: the flattened-image runs (``span`` long)."""
    oc = g.shape[1]
    nk = math.prod(ksize)
    ck, p = c * nk, math.prod(osize)
    it = g.itemsize
    psize = out.shape[2:]
    if span:
        rs = tuple(math.prod(psize[i + 1:]) for i in range(len(psize)))
        offs = _flat_offsets(ksize, dil, rs)
        oflat = out.reshape(out.shape[0], c, math.prod(psize))
    for i in range(lo, hi, nb):
        m = min(nb, hi - i)
        if span:
            ge = _scratch(xp, "gT", (oc, m, span), g.dtype)
            ge.fill(0)  # the gaps between rows
            _bk.as_strided(ge, (oc, m) + osize, (m * span * it, span * it)
                     + tuple(r * it for r in rs), writeable=True)[...] = \
                xp.swapaxes(g[i:i + m], 0, 1)
            dt = _mm_t_dcols(w2, ge.reshape(oc, m * span), groups,
                             _scratch(xp, "dcols", (ck, m * span), g.dtype))
            dc = dt.reshape(c, nk, m, span)
            dst = oflat[i:i + m]
            for j, off in enumerate(offs):
                dst[:, :, off:off + span] += xp.swapaxes(dc[:, j], 0, 1)
        else:
            gt = g[i].reshape(oc, p) if m == 1 else _to_t(xp, g[i:i + m], "gT")
            dt = _mm_t_dcols(w2, gt, groups,
                             _scratch(xp, "dcols", (ck, m * p), g.dtype))
            dc = dt.reshape((c,) + ksize + (m,) + osize)
            dst = out[i:i + m]
            for src_key, dst_key in _col2im_keys_t(ksize, stride, dil, osize):
                dst[dst_key] += xp.swapaxes(dc[src_key], 0, 1)


@functools.lru_cache(maxsize=512)
def _col2im_keys_t(ksize: tuple, stride: tuple, dil: tuple, osize: tuple) -> tuple:
    """For each kernel tap: (index into channels-major columns (C, *K, m, *O), output slice)."""
    return tuple(((slice(None),) + src[2:], dst) for src, dst in
                 _col2im_keys(ksize, stride, dil, osize))


@functools.lru_cache(maxsize=512)
def _flat_offsets(ksize: tuple, dil: tuple, rs: tuple) -> tuple[int, ...]:
    """Flat-image offset of each kernel tap (row strides ``rs``), in weight order."""
    return tuple(sum(i * d * r for i, d, r in zip(k, dil, rs))
                 for k in itertools.product(*(range(m) for m in ksize)))


# ----------------------------------------------------------------------------- dispatch
def _is_big(oc: int, cgk: int, p: int) -> bool:
    """Whether a layer's per-sample product (OC x Cg*K x P multiply-adds) is large enough for
    BLAS to multithread it: then the channels-major engine does one GEMM per chunk of samples,
    so the threads synchronize a few times per product rather than once per sample (which is
    slow on two cores, and pathological when another process holds one)."""
    return oc * cgk * p > _BIG_GEMM


def _products(big: bool, src: Any, ksize: tuple, stride: tuple, dil: tuple, osize: tuple,
              groups: int, w2: Any = None, b: Any = None, gw: Any = None,
              keep: bool = False, out: Any = None) -> tuple[Any, Any, Any]:
    """``out = W2 @ im2col(src) + b`` (N, OC, P), ``dw = sum gw @ im2col(src)^T`` (OC, Cg*K)
    and, with ``keep``, the columns (None when chunked), in either engine's layout. ``out``:
    where the batch-major engine writes the product (default: a new array)."""
    if big:
        return _im2col_pass(src, ksize, stride, dil, osize, groups, w2=w2, b=b, gw=gw,
                            keep=keep)
    out, dw, cols = _im2col_products(src, ksize, stride, dil, osize, groups, w2=w2,
                                     g3=None if gw is None else _flat(gw), keep=keep, out=out)
    if b is not None:
        out += b.reshape(-1, 1)
    return out, dw, cols


def _input_grad(big: bool, g: Any, w2: Any, groups: int, c: int, ksize: tuple, stride: tuple,
                dil: tuple, osize: tuple, psize: tuple) -> Any:
    """``col2im(W2^T @ g)`` (N, C, *psize) in either engine."""
    if big:
        return _col2im_pass(g, w2, groups, c, ksize, stride, dil, osize, psize)
    return _col2im_product(w2, _flat(g), groups, c, ksize, stride, dil, osize, psize)


def _weight_grad(big: bool, cols: Any, g: Any, groups: int, oc: int) -> Any:
    """The weight gradient (OC, Cg*K) from the columns the forward kept."""
    if big:
        return _dw_from_t(_mm_t_dw(cols, _to_t(get_xp(cols), g, "gT"), groups), oc)
    return _gemm_dw(_flat(g), cols, groups)


def _contig(a: Any) -> Any:
    return a if a.flags.c_contiguous else get_xp(a).ascontiguousarray(a)


def _chan_sum(g3: Any) -> Any:
    """Per-channel sums (C,) of a contiguous (N, C, P) array."""
    return get_xp(g3).einsum("ncp->c", g3)


def _flat(a: Any) -> Any:
    """(N, C, *S) -> contiguous (N, C, prod(S))."""
    return _contig(a).reshape(a.shape[0], a.shape[1], math.prod(a.shape[2:]))


# ----------------------------------------------------------------------------- two threads
def _pair_split(src: Any, wshape: tuple, osize: tuple) -> int:
    """Where a small (batch-major) convolution splits its batch over two threads, forward and
    backward (0: it does not): NumPy arrays, at least 2 samples, enough multiply-adds
    (``_PAIR_ABOVE``) for the hand-over (about 0.1 ms, :func:`backend_kernels.host_pair`) to
    pay, and the user allowing BLAS 2 threads. Each half then runs the whole batch-major
    engine (copies, per-sample GEMMs, col2im adds) on its own core: those GEMMs are too small
    for OpenBLAS to thread (LeNet-5 step 7.45 -> 6.83 ms at 2 threads)."""
    n = src.shape[0]
    if (get_xp(src) is not np or n < 2
            or n * math.prod(wshape) * math.prod(osize) < _PAIR_ABOVE or not _bk.host_pair_ok()):
        return 0
    return n // 2


def _forward_pair(h: int, xpad: Any, w2: Any, b: Any, ksize: tuple, stride: tuple, dil: tuple,
                  osize: tuple, groups: int, keep: bool) -> tuple[Any, Any]:
    """The batch-major forward products of samples ``:h`` and ``h:`` on two threads, into one
    output; the columns come back as a pair (None if either half did not keep them)."""
    n = xpad.shape[0]
    out = get_xp(xpad).empty((n, w2.shape[0], math.prod(osize)), dtype=xpad.dtype)
    kept: list = [None, None]

    def half(k: int, lo: int, hi: int) -> None:
        kept[k] = _products(False, xpad[lo:hi], ksize, stride, dil, osize, groups, w2=w2, b=b,
                            keep=keep, out=out[lo:hi])[2]

    _bk.host_pair(lambda: half(0, 0, h), lambda: half(1, h, n))
    cols = (kept[0], kept[1]) if kept[0] is not None and kept[1] is not None else None
    return out, cols


def _backward_pair(ctx: Any, grad_out: Any, w: Any, cols: Any, src: Any) -> tuple[Any, Any]:
    """The input and weight gradients of a convolution whose forward split its batch at ``h``
    (:func:`_forward_pair`), each half on its own thread; the weight gradient from the kept
    column pair, or by redoing each half's im2col from ``src``."""
    nx, nw = ctx.needs_input_grad[:2]
    xshape, wshape, pads, stride, dil, groups, osize, _, h = ctx.geom
    ksize = wshape[2:]
    n = xshape[0]
    psize = tuple(m + b + a for m, (b, a) in zip(xshape[2:], pads))
    gxp: Any = get_xp(grad_out).empty((n, xshape[1]) + psize, grad_out.dtype) if nx else None
    w2 = w.reshape(wshape[0], -1) if nx else None
    gws: list = [None, None]

    def half(k: int, lo: int, hi: int) -> None:
        g = grad_out[lo:hi]
        if nx:
            _col2im_product(w2, _flat(g), groups, xshape[1], ksize, stride, dil, osize, psize,
                            out=gxp[lo:hi])
        if nw:
            if cols is not None:
                gws[k] = _weight_grad(False, cols[k], g, groups, wshape[0])
            else:
                gws[k] = _products(False, src[lo:hi], ksize, stride, dil, osize, groups,
                                   gw=g)[1]

    _bk.host_pair(lambda: half(0, 0, h), lambda: half(1, h, n))
    gx = _crop(gxp, pads, xshape[2:]) if nx else None
    gw = None
    if nw:
        gw = gws[0]
        gw += gws[1]
        gw = gw.reshape(wshape)
    return gx, gw


# ----------------------------------------------------------------------------- primitives
class Convolution(Function):
    """``out[n, o, q] = b[o] + sum_{c, k} W[o, c, k] xpad[n, g(o) Cg + c, q stride + k dil]``
    over 1, 2 or 3 spatial dims: im2col + one GEMM (see the module docstring).

    Called as ``Convolution.apply(x, w, b, stride, pads, dilation, groups)`` with ``x`` batched
    (N, C, *S), ``w`` (OC, C/groups, *K), ``b`` (OC,) or ``None`` and
    ``pads[d] = (before, after)``.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, w: Any, b: Any, stride: tuple, pads: tuple, dil: tuple,
                groups: int) -> Any:
        ksize = w.shape[2:]
        xpad = _pad_array(x, pads)
        osize = _blocks(xpad.shape[2:], ksize, stride, dil)
        oc = w.shape[0]
        needs = ctx.needs_input_grad
        keep = bool(needs) and needs[1]
        big = _is_big(oc, math.prod(w.shape[1:]), math.prod(osize))
        h = 0 if big else _pair_split(xpad, w.shape, osize)
        if h:
            out, cols = _forward_pair(h, xpad, w.reshape(oc, -1), b, ksize, stride, dil, osize,
                                      groups, keep)
        else:
            out, _, cols = _products(big, xpad, ksize, stride, dil, osize, groups,
                                     w2=w.reshape(oc, -1), b=b, keep=keep)
        if needs:
            ctx.geom = (x.shape, w.shape, pads, stride, dil, groups, osize, big, h)
            src = None
            if needs[1] and (cols is None or any(
                    get_xp(x).may_share_memory(c, x)
                    for c in (cols if cols.__class__ is tuple else (cols,)))):
                # chunked (the columns were never stored whole) or columns that are a view of
                # x: keep the (padded) input and redo im2col in backward. xpad is x itself when
                # unpadded: in-place changes to x are then detected.
                src, cols = xpad, None
            ctx.save_for_backward(w if needs[0] else None, cols, src)
        return out.reshape((x.shape[0], oc) + osize)

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        w, cols, src = ctx.saved_tensors
        nx, nw, nb = ctx.needs_input_grad[:3]
        xshape, wshape, pads, stride, dil, groups, osize, big, h = ctx.geom
        ksize = wshape[2:]
        gx = gw = gb = None
        if h:
            gx, gw = _backward_pair(ctx, grad_out, w, cols, src)
            if nb:
                gb = _chan_sum(_flat(grad_out))
            return gx, gw, gb, None, None, None, None
        if nx:
            psize = tuple(n + b + a for n, (b, a) in zip(xshape[2:], pads))
            gx = _crop(_input_grad(big, grad_out, w.reshape(wshape[0], -1), groups, xshape[1],
                                   ksize, stride, dil, osize, psize), pads, xshape[2:])
        if nw:
            if cols is not None:
                gw = _weight_grad(big, cols, grad_out, groups, wshape[0])
            else:
                gw = _products(big, src, ksize, stride, dil, osize, groups, gw=grad_out)[1]
            gw = gw.reshape(wshape)
        if nb:
            gb = _chan_sum(_flat(grad_out))
        return gx, gw, gb, None, None, None, None


class ConvolutionTranspose(Function):
    """The adjoint of :class:`Convolution` in its input (a "deconvolution"):
    ``out = col2im(W2^T @ x)`` cropped by ``padding``, plus ``b``.

    Called as ``ConvolutionTranspose.apply(x, w, b, stride, padding, output_padding, dilation,
    groups)`` with ``x`` batched (N, C_in, *S), ``w`` (C_in, OC/groups, *K), ``b`` (OC,) or
    ``None``. Output size per dim: ``(S - 1) * stride - 2 * padding + dil * (K - 1) +
    output_padding + 1``.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, w: Any, b: Any, stride: tuple, padding: tuple, opad: tuple,
                dil: tuple, groups: int) -> Any:
        cin = w.shape[0]
        ksize = w.shape[2:]
        oc = w.shape[1] * groups
        isize = x.shape[2:]
        psize = tuple((i - 1) * s + d * (k - 1) + 1 + o
                      for i, s, d, k, o in zip(isize, stride, dil, ksize, opad))
        pads = tuple((p, p) for p in padding)
        osize = tuple(n - 2 * p for n, p in zip(psize, padding))
        big = _is_big(cin, math.prod(w.shape[1:]), math.prod(isize))
        out = _input_grad(big, x, w.reshape(cin, -1), groups, oc, ksize, stride, dil, isize,
                          psize)
        if any(padding):
            out = _contig(_crop(out, pads, osize))
        if b is not None:
            out += b.reshape((oc,) + (1,) * len(ksize))
        needs = ctx.needs_input_grad
        if needs:
            ctx.geom = (x.shape, w.shape, pads, stride, dil, groups, isize, big)
            ctx.save_for_backward(w if needs[0] else None, x if needs[1] else None)
        return out

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        w, x = ctx.saved_tensors
        nx, nw, nb = ctx.needs_input_grad[:3]
        xshape, wshape, pads, stride, dil, groups, isize, big = ctx.geom
        gx = gw = gb = None
        if nx or nw:
            w2 = w.reshape(wshape[0], -1) if nx else None
            gx, gw, _ = _products(big, _pad_array(grad_out, pads), wshape[2:], stride, dil,
                                  isize, groups, w2=w2, gw=x if nw else None)
            if nx:
                gx = gx.reshape(xshape)
            if nw:
                gw = gw.reshape(wshape)
        if nb:
            gb = _chan_sum(_flat(grad_out))
        return gx, gw, gb, None, None, None, None, None


class Unfold(Function):
    """im2col: ``out[n, c*prod(K) + k, l] = xpad[n, c, o(l) * stride + k * dil]``, shape
    (N, C*prod(K), L) with ``L`` the number of sliding blocks.

    Called as ``Unfold.apply(x, kernel_size, dilation, pads, stride)``, ``x`` batched."""

    @staticmethod
    def forward(ctx: Any, x: Any, ksize: tuple, dil: tuple, pads: tuple, stride: tuple) -> Any:
        xpad = _pad_array(x, pads)
        osize = _blocks(xpad.shape[2:], ksize, stride, dil)
        cols = _im2col(xpad, ksize, stride, dil, osize)
        if cols.base is not None and get_xp(x).may_share_memory(cols, x):
            cols = cols.copy()
        ctx.geom = (x.shape, ksize, dil, pads, stride, osize)
        return cols

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        xshape, ksize, dil, pads, stride, osize = ctx.geom
        psize = tuple(n + b + a for n, (b, a) in zip(xshape[2:], pads))
        g = _col2im(_contig(grad_out), xshape[1], ksize, stride, dil, osize, psize)
        return _crop(g, pads, xshape[2:]), None, None, None, None


class Fold(Function):
    """col2im: sums the blocks (N, C*prod(K), L) into (N, C, *output_size), overlapping
    positions added (the adjoint of :class:`Unfold`).

    Called as ``Fold.apply(cols, output_size, kernel_size, dilation, pads, stride)``."""

    @staticmethod
    def forward(ctx: Any, cols: Any, size: tuple, ksize: tuple, dil: tuple, pads: tuple,
                stride: tuple) -> Any:
        c = cols.shape[1] // math.prod(ksize)
        psize = tuple(n + b + a for n, (b, a) in zip(size, pads))
        osize = _blocks(psize, ksize, stride, dil)
        out = _col2im(_contig(cols), c, ksize, stride, dil, osize, psize)
        ctx.geom = (ksize, dil, pads, stride, osize)
        return _contig(_crop(out, pads, size))

    @staticmethod
    def backward(ctx: Any, grad_out: Any) -> Any:
        ksize, dil, pads, stride, osize = ctx.geom
        cols = _im2col(_pad_array(grad_out, pads), ksize, stride, dil, osize)
        if cols.base is not None and get_xp(grad_out).may_share_memory(cols, grad_out):
            cols = cols.copy()  # never hand out a view of grad_out
        return cols, None, None, None, None, None


def _blocks(psize: tuple, ksize: tuple, stride: tuple, dil: tuple) -> tuple:
    """Number of sliding-window positions per dim of a padded size."""
    return tuple((n - d * (k - 1) - 1) // s + 1 for n, k, s, d in zip(psize, ksize, stride, dil))


# ----------------------------------------------------------------------------- argument parsing
_DIMNAMES = {1: "kW", 2: "kH, kW", 3: "kD, kH, kW"}


def _ntuple(v: Any, n: int, op: str, arg: str) -> tuple[int, ...]:
    """An int or a sequence of 1 or ``n`` ints -> ``n`` ints (PyTorch's expand_param_if_needed)."""
    if type(v) is int:
        return (v,) * n
    if isinstance(v, tuple | list) or (isinstance(v, Tensor) and v.ndim == 1):
        items = list(v.tolist() if isinstance(v, Tensor) else v)
        for i, e in enumerate(items):
            if isinstance(e, bool) or not isinstance(e, int | np.integer):
                raise TypeError(f"{op}: argument '{arg}' must be a tuple of ints, but found "
                                f"element of type {type(e).__name__} at pos {i}")
        if len(items) == 1:
            return (int(items[0]),) * n
        if len(items) != n:
            raise RuntimeError(f"{op}: expected {arg} to be a single integer value or a list of "
                               f"{n} values to match the convolution dimensions, but got "
                               f"{arg}={tuple(items)}")
        return tuple(int(e) for e in items)
    if isinstance(v, np.integer):
        return (int(v),) * n
    raise TypeError(f"{op}: argument '{arg}' must be an int or a tuple of ints, not "
                    f"{type(v).__name__}")


def _positive(t: tuple, op: str, arg: str) -> tuple:
    if any(e <= 0 for e in t):
        raise RuntimeError(f"{op}: {arg} must be positive, got {arg}={t}")
    return t


def _groups(groups: Any, op: str) -> int:
    if isinstance(groups, bool) or not isinstance(groups, int | np.integer):
        raise TypeError(f"{op}: argument 'groups' must be an int, not {type(groups).__name__}")
    if groups <= 0:
        raise RuntimeError(f"{op}: non-positive groups is not supported (groups={groups})")
    return int(groups)


def _operands(op: str, nd: int, input: Any, weight: Any, bias: Any,
              wlayout: str) -> tuple[Tensor, Tensor, Tensor | None, bool]:
    """Tensors, same device and dtype, weight and input ranks; returns ``unbatched``."""
    x = as_tensor_arg(input, op)
    w = as_tensor_arg(weight, op, "weight")
    b = None if bias is None else as_tensor_arg(bias, op, "bias")
    check_same_device(op, x, w, b)
    ws, xs = tuple(w.shape), tuple(x.shape)
    if len(ws) != nd + 2:
        raise RuntimeError(f"{op}: weight must be {nd + 2}-D ({wlayout}, {_DIMNAMES[nd]}), "
                           f"got weight of shape {ws}")
    if len(xs) not in (nd + 1, nd + 2):
        raise RuntimeError(f"{op}: expected {nd + 1}-D (unbatched) or {nd + 2}-D (batched) input, "
                           f"but got input of shape {xs}")
    if x.dtype != w.dtype:
        raise RuntimeError(f"{op}: input and weight must have the same dtype, but got "
                           f"{x.dtype} and {w.dtype} (input shape {xs}, weight shape {ws})")
    if x.dtype.kind not in "fiu":
        raise RuntimeError(f"{op}: not implemented for dtype {x.dtype}")
    if b is not None and b.dtype != x.dtype:
        raise RuntimeError(f"{op}: input and bias must have the same dtype, but got {x.dtype} "
                           f"and {b.dtype}")
    return x, w, b, len(xs) == nd + 1


def _check_bias(op: str, b: Tensor | None, oc: int, ws: tuple) -> None:
    if b is not None and tuple(b.shape) != (oc,):
        raise RuntimeError(f"{op}: expected bias to be 1-D with {oc} elements to match weight "
                           f"of shape {ws}, but got bias of shape {tuple(b.shape)}")


def _same_pads(ksize: tuple, dil: tuple) -> tuple:
    """PyTorch's 'same': total ``dil * (k - 1)``, the odd extra element on the right."""
    return tuple((d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for k, d in zip(ksize, dil))


def _conv(op: str, nd: int, input: Any, weight: Any, bias: Any, stride: Any, padding: Any,
          dilation: Any, groups: Any) -> Tensor:
    x, w, b, unbatched = _operands(op, nd, input, weight, bias,
                                   "out_channels, in_channels/groups")
    stride = _positive(_ntuple(stride, nd, op, "stride"), op, "stride")
    dil = _positive(_ntuple(dilation, nd, op, "dilation"), op, "dilation")
    groups = _groups(groups, op)
    ws, xs = tuple(w.shape), tuple(x.shape)
    ksize = ws[2:]
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0),) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError(f"{op}: padding='same' is not supported for strided "
                                   f"convolutions (stride={stride})")
            pads = _same_pads(ksize, dil)
        else:
            raise RuntimeError(f"{op}: Invalid padding string {padding!r}, should be one of "
                               "'valid', 'same'")
    else:
        p = _ntuple(padding, nd, op, "padding")
        if any(e < 0 for e in p):
            raise RuntimeError(f"{op}: negative padding is not supported, got padding={p}")
        pads = tuple((e, e) for e in p)
    oc = ws[0]
    if oc < groups or oc % groups:
        raise RuntimeError(f"{op}: Given groups={groups}, expected weight to be divisible by "
                           f"{groups} at dimension 0, but got weight of shape {ws}")
    c = xs[0] if unbatched else xs[1]
    if c != ws[1] * groups:
        g = "" if groups == 1 else f", groups={groups}"
        raise RuntimeError(f"{op}: expected input with {ws[1] * groups} channels (weight shape "
                           f"{ws}{g}) but got input of shape {xs}")
    _check_bias(op, b, oc, ws)
    sp = xs[-nd:]
    padded = tuple(n + bb + a for n, (bb, a) in zip(sp, pads))
    if any(d * (k - 1) + 1 > n for n, k, d in zip(padded, ksize, dil)):
        eff = tuple(d * (k - 1) + 1 for k, d in zip(ksize, dil))
        raise RuntimeError(f"{op}: kernel size {ksize} (dilated {eff}) can't be greater than "
                           f"the padded input size {padded} (input shape {xs}, padding "
                           f"{tuple(pp for pp, _ in pads)})")
    if unbatched:
        x = x.unsqueeze(0)
        return Convolution.apply(x, w, b, stride, pads, dil, groups).squeeze(0)
    return Convolution.apply(x, w, b, stride, pads, dil, groups)


def _conv_transpose(op: str, nd: int, input: Any, weight: Any, bias: Any, stride: Any,
                    padding: Any, output_padding: Any, groups: Any, dilation: Any) -> Tensor:
    x, w, b, unbatched = _operands(op, nd, input, weight, bias,
                                   "in_channels, out_channels/groups")
    if isinstance(padding, str):
        raise TypeError(f"{op}: argument 'padding' must be a tuple of ints, not str "
                        f"({padding!r}; 'same'/'valid' are for convolutions only)")
    stride = _positive(_ntuple(stride, nd, op, "stride"), op, "stride")
    dil = _positive(_ntuple(dilation, nd, op, "dilation"), op, "dilation")
    pad = _ntuple(padding, nd, op, "padding")
    opad = _ntuple(output_padding, nd, op, "output_padding")
    groups = _groups(groups, op)
    if any(e < 0 for e in pad):
        raise RuntimeError(f"{op}: negative padding is not supported, got padding={pad}")
    if any(e < 0 for e in opad):
        raise RuntimeError(f"{op}: negative output_padding is not supported, got "
                           f"output_padding={opad}")
    if any(o >= s and o >= d for o, s, d in zip(opad, stride, dil)):
        raise RuntimeError(f"{op}: output padding must be smaller than either stride or "
                           f"dilation, but got output_padding={opad}, stride={stride}, "
                           f"dilation={dil}")
    ws, xs = tuple(w.shape), tuple(x.shape)
    if ws[0] < groups or ws[0] % groups:
        raise RuntimeError(f"{op}: Given groups={groups}, expected weight to be divisible by "
                           f"{groups} at dimension 0, but got weight of shape {ws}")
    c = xs[0] if unbatched else xs[1]
    if c != ws[0]:
        g = "" if groups == 1 else f", groups={groups}"
        raise RuntimeError(f"{op}: expected input with {ws[0]} channels (weight shape {ws}{g}) "
                           f"but got input of shape {xs}")
    oc = ws[1] * groups
    _check_bias(op, b, oc, ws)
    sp = xs[-nd:]
    osize = tuple((i - 1) * s - 2 * p + d * (k - 1) + o + 1
                  for i, s, p, d, k, o in zip(sp, stride, pad, dil, ws[2:], opad))
    if any(n <= 0 for n in osize):
        raise RuntimeError(f"{op}: Given input size per channel {sp}, the calculated output "
                           f"size per channel {osize} is too small (weight shape {ws}, "
                           f"stride {stride}, padding {pad})")
    if unbatched:
        x = x.unsqueeze(0)
        return ConvolutionTranspose.apply(x, w, b, stride, pad, opad, dil, groups).squeeze(0)
    return ConvolutionTranspose.apply(x, w, b, stride, pad, opad, dil, groups)


# ----------------------------------------------------------------------------- public API
def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """1-D cross-correlation ``out[n, o, l] = b[o] + sum_{c, k} W[o, c, k] x[n, c, l*s + k*d]``.

    Args:
        input: ``(N, C_in, L)`` or unbatched ``(C_in, L)``.
        weight: ``(C_out, C_in / groups, kW)``.
        bias: ``(C_out,)``; optional.
        stride, padding, dilation, groups: as :func:`conv2d` (one spatial dim).

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> x = lightgrad.tensor([[[1.0, 2.0, 3.0, 4.0]]])
        >>> F.conv1d(x, lightgrad.tensor([[[1.0, -1.0]]]))
        tensor([[[-1., -1., -1.]]])
    """
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation (PyTorch's ``conv2d``):
    ``out[n, o, i, j] = b[o] + sum_{c, u, v} W[o, c, u, v] xpad[n, c, i*sH + u*dH, j*sW + v*dW]``
    (``c`` running over the input channels of ``o``'s group).

    Args:
        input: ``(N, C_in, H, W)`` or unbatched ``(C_in, H, W)``.
        weight: ``(C_out, C_in / groups, kH, kW)``.
        bias: ``(C_out,)``; optional.
        stride: int or ``(sH, sW)``.
        padding: int, ``(pH, pW)`` (zeros on both sides), ``"valid"`` (none) or ``"same"``
            (output size = input size; stride 1 only; an odd total puts the extra zero on the
            right/bottom, as PyTorch).
        dilation: int or ``(dH, dW)``: spacing between kernel taps.
        groups: split the channels into ``groups`` independent convolutions;
            ``C_in`` and ``C_out`` must be divisible by it.

    Shape:
        Output ``(N, C_out, H_out, W_out)`` with
        ``H_out = (H + 2 pH - dH (kH - 1) - 1) // sH + 1`` (likewise ``W_out``).

    Example (the seeds' 5x5 image and 3x3 filter):
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> x = lightgrad.tensor([[3., 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3],
        ...                       [2, 0, 0, 2, 2], [2, 0, 0, 0, 1]])
        >>> k = lightgrad.tensor([[0., 1, 2], [2, 2, 0], [0, 1, 2]])
        >>> F.conv2d(x.reshape(1, 1, 5, 5), k.reshape(1, 1, 3, 3))
        tensor([[[[12., 12., 17.],
                  [10., 17., 19.],
                  [ 9.,  6., 14.]]]])
        >>> F.conv2d(x[None, None], k[None, None], padding=1, stride=2).shape
        lightgrad.Size([1, 1, 3, 3])
    """
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """3-D cross-correlation over ``(N, C_in, D, H, W)`` (or unbatched) input with a
    ``(C_out, C_in / groups, kD, kH, kW)`` weight; arguments as :func:`conv2d`.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.conv3d(lightgrad.ones(1, 2, 4, 4, 4), lightgrad.ones(3, 2, 2, 2, 2)).shape
        lightgrad.Size([1, 3, 3, 3, 3])
    """
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """1-D transposed convolution (the gradient of :func:`conv1d` with respect to its input);
    arguments as :func:`conv_transpose2d`.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.conv_transpose1d(lightgrad.tensor([[[1.0, 2.0]]]), lightgrad.ones(1, 1, 3))
        tensor([[[1., 3., 3., 2.]]])
    """
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """2-D transposed convolution ("deconvolution"): each input pixel scatters ``weight``
    times its value into the output, at ``stride`` spacing; overlaps add.

    Args:
        input: ``(N, C_in, H, W)`` or unbatched ``(C_in, H, W)``.
        weight: ``(C_in, C_out / groups, kH, kW)`` (PyTorch's transposed layout).
        bias: ``(C_out,)``; optional.
        stride: int or pair.
        padding: int or pair: ``dilation * (k - 1) - padding`` zeros are implicitly added
            around the input, i.e. ``padding`` rows/columns are cropped from each side of the
            full output.
        output_padding: int or pair, extra size added to one side of the output (must be
            smaller than the stride or the dilation); resolves the ambiguity of the size.
        groups: as :func:`conv2d`.
        dilation: int or pair.

    Shape:
        ``H_out = (H - 1) sH - 2 pH + dH (kH - 1) + output_padding + 1`` (likewise ``W_out``).

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.conv_transpose2d(lightgrad.ones(1, 1, 2, 2), lightgrad.ones(1, 1, 2, 2),
        ...                    stride=2).shape
        lightgrad.Size([1, 1, 4, 4])
        >>> F.conv_transpose2d(lightgrad.ones(1, 1, 2, 2), lightgrad.ones(1, 1, 2, 2))
        tensor([[[[1., 2., 1.],
                  [2., 4., 2.],
                  [1., 2., 1.]]]])
    """
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose3d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Tensor:
    """3-D transposed convolution; arguments as :func:`conv_transpose2d`.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.conv_transpose3d(lightgrad.ones(1, 2, 2, 2, 2), lightgrad.ones(2, 1, 2, 2, 2),
        ...                    stride=2).shape
        lightgrad.Size([1, 1, 4, 4, 4])
    """
    return _conv_transpose("conv_transpose3d", 3, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def _window_args(op: str, kernel_size: Any, dilation: Any, padding: Any,
                 stride: Any) -> tuple[tuple, tuple, tuple, tuple]:
    k = _positive(_ntuple(kernel_size, 2, op, "kernel_size"), op, "kernel_size")
    d = _positive(_ntuple(dilation, 2, op, "dilation"), op, "dilation")
    p = _ntuple(padding, 2, op, "padding")
    if any(e < 0 for e in p):
        raise RuntimeError(f"{op}: padding must be non-negative, got padding={p}")
    s = _positive(_ntuple(stride, 2, op, "stride"), op, "stride")
    return k, d, tuple((e, e) for e in p), s


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
           stride: Any = 1) -> Tensor:
    """im2col: extract sliding ``kernel_size`` blocks of a batched image as columns,
    ``out[n, c*kH*kW + u*kW + v, l] = xpad[n, c, i_l*sH + u*dH, j_l*sW + v*dW]``.

    Args:
        input: ``(N, C, H, W)`` or unbatched ``(C, H, W)``.
        kernel_size, dilation, padding, stride: int or pair each.

    Shape:
        Output ``(N, C * kH * kW, L)``, ``L`` the number of block positions
        (``prod((size + 2p - d (k - 1) - 1) // s + 1)``).

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> x = lightgrad.arange(9.0).reshape(1, 1, 3, 3)
        >>> F.unfold(x, 2)
        tensor([[[0., 1., 3., 4.],
                 [1., 2., 4., 5.],
                 [3., 4., 6., 7.],
                 [4., 5., 7., 8.]]])
    """
    op = "unfold"
    x = as_tensor_arg(input, op)
    k, d, pads, s = _window_args(op, kernel_size, dilation, padding, stride)
    xs = tuple(x.shape)
    if len(xs) not in (3, 4):
        raise RuntimeError(f"{op}: expected 3-D (unbatched) or 4-D (batched) input, but got "
                           f"input of shape {xs}")
    blocks = _blocks(tuple(n + 2 * p for n, (p, _) in zip(xs[-2:], pads)), k, s, d)
    if any(b < 1 for b in blocks):
        raise RuntimeError(f"{op}: Given input with spatial size {xs[-2:]}, kernel_size={k}, "
                           f"dilation={d}, padding={tuple(p for p, _ in pads)}, calculated "
                           f"shape of the array of sliding blocks as {blocks}, but its "
                           "components must be at least one.")
    if len(xs) == 3:
        return Unfold.apply(x.unsqueeze(0), k, d, pads, s).squeeze(0)
    return Unfold.apply(x, k, d, pads, s)


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> Tensor:
    """col2im: sum sliding blocks (the columns of :func:`unfold`) back into an image;
    overlapping positions add up, so ``fold(unfold(x))`` multiplies each pixel by the number of
    blocks covering it.

    Args:
        input: ``(N, C * kH * kW, L)`` or unbatched ``(C * kH * kW, L)``.
        output_size: int or ``(H, W)``, the image size.
        kernel_size, dilation, padding, stride: int or pair each, as for the :func:`unfold`
            that made the blocks.

    Example:
        >>> import lightgrad
        >>> import lightgrad.nn.functional as F
        >>> F.fold(lightgrad.ones(1, 4, 4), (3, 3), 2)
        tensor([[[[1., 2., 1.],
                  [2., 4., 2.],
                  [1., 2., 1.]]]])
    """
    op = "fold"
    x = as_tensor_arg(input, op)
    size = _positive(_ntuple(output_size, 2, op, "output_size"), op, "output_size")
    k, d, pads, s = _window_args(op, kernel_size, dilation, padding, stride)
    xs = tuple(x.shape)
    if len(xs) not in (2, 3):
        raise RuntimeError(f"{op}: expected 2-D (unbatched) or 3-D (batched) input, but got "
                           f"input of shape {xs}")
    ck, n_blocks = xs[-2], xs[-1]
    kk = k[0] * k[1]
    if ck % kk:
        raise RuntimeError(f"{op}: Expected size of input's dimension {len(xs) - 2} to be "
                           f"divisible by the product of kernel_size, but got "
                           f"input.size({len(xs) - 2})={ck} and kernel_size={k} (input shape "
                           f"{xs})")
    blocks = _blocks(tuple(n + 2 * p for n, (p, _) in zip(size, pads)), k, s, d)
    if any(b < 1 for b in blocks) or math.prod(blocks) != n_blocks:
        raise RuntimeError(f"{op}: Given output_size={size}, kernel_size={k}, dilation={d}, "
                           f"padding={tuple(p for p, _ in pads)}, stride={s}, expected size of "
                           f"input's dimension {len(xs) - 1} to match the calculated number of "
                           f"sliding blocks {blocks[0]} * {blocks[1]} = {math.prod(blocks)}, "
                           f"but got input.size({len(xs) - 1})={n_blocks} (input shape {xs})")
    if len(xs) == 2:
        return Fold.apply(x.unsqueeze(0), size, k, d, pads, s).squeeze(0)
    return Fold.apply(x, size, k, d, pads, s)

