"""Variable-length sequences: pad_sequence, pack_padded_sequence, pad_packed_sequence.

A :class:`PackedSequence` holds the time steps of a batch of sequences sorted by decreasing
length, step after step: ``data`` has the ``batch_sizes[0]`` first elements, then the
``batch_sizes[1]`` second elements, ... (``batch_sizes[t]`` = how many sequences are longer than
``t``). ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` run it with the active batch shrinking step by step,
so each sequence's final state is the one after its own last element, exactly as PyTorch.
Packing and padding are differentiable (one gather or scatter each).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np

from ... import backend
from ...ops.movement import cat
from ...ops.recurrent import pack_rows, pad_rows
from ...tensor import Tensor

__all__ = [
    "PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
    "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence",
]


class PackedSequence_(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


def _long(a: Any) -> Tensor:
    return Tensor._make(np.asarray(a, dtype=np.int64))


def _host(t: Any) -> np.ndarray:
    """An index/length tensor (or list) as a host int64 array."""
    if isinstance(t, Tensor):
        return np.asarray(backend.to_device(t.data, backend.Device("cpu")), dtype=np.int64)
    return np.asarray(t, dtype=np.int64)


class PackedSequence(PackedSequence_):
    """A batch of variable-length sequences, packed (``torch.nn.utils.rnn.PackedSequence``).

    Attributes:
        data: ``(sum of lengths, *)`` the packed elements, time step by time step.
        batch_sizes: int64 ``(max length,)`` the number of sequences at each step.
        sorted_indices: the batch order used for packing (None when the input was sorted).
        unsorted_indices: its inverse.

    Build it with :func:`pack_padded_sequence` or :func:`pack_sequence`, not by hand.

    Example:
        >>> import lightgrad
        >>> from lightgrad.nn.utils.rnn import pack_sequence
        >>> p = pack_sequence([lightgrad.tensor([1, 2, 3]), lightgrad.tensor([4, 5])])
        >>> p.data, p.batch_sizes
        (tensor([1, 4, 2, 5, 3]), tensor([2, 2, 1]))
    """

    def __new__(cls, data: Any, batch_sizes: Any = None, sorted_indices: Any = None,
                unsorted_indices: Any = None) -> PackedSequence:
        if batch_sizes is None:
            if not (isinstance(data, list | tuple) and len(data) == 2):
                raise TypeError("PackedSequence: expected (data, batch_sizes) or data and "
                                "batch_sizes")
            data, batch_sizes = data
        if not isinstance(batch_sizes, Tensor):
            batch_sizes = _long(batch_sizes)
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = invert_permutation(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args: Any, **kwargs: Any) -> PackedSequence:
        """The same sequence with ``data`` converted (``Tensor.to`` arguments); the indices
        follow ``data`` to its device."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        dev = data.device
        s = None if self.sorted_indices is None else self.sorted_indices.to(dev)
        u = None if self.unsorted_indices is None else self.unsorted_indices.to(dev)
        return type(self)(data, self.batch_sizes, s, u)

    def cpu(self) -> PackedSequence:
        return self.to("cpu")

    def cuda(self, device: Any = None) -> PackedSequence:
        return self.to("cuda" if device is None else device)

    def double(self) -> PackedSequence:
        return self.to(dtype=backend.float64)

    def float(self) -> PackedSequence:
        return self.to(dtype=backend.float32)

    def half(self) -> PackedSequence:
        return self.to(dtype=backend.float16)

    def long(self) -> PackedSequence:
        return self.to(dtype=backend.int64)

    def int(self) -> PackedSequence:
        return self.to(dtype=backend.int32)

    @property
    def is_cuda(self) -> bool:
        return self.data.device.type == "cuda"


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of a permutation (``out[permutation[i]] = i``), or None."""
    if permutation is None:
        return None
    p = _host(permutation)
    inv = np.empty_like(p)
    inv[p] = np.arange(len(p), dtype=np.int64)
    t = _long(inv)
    return t.to(permutation.device) if isinstance(permutation, Tensor) else t


def _positions(lengths: np.ndarray, order: np.ndarray, T: int,
               batch_first: bool) -> tuple[np.ndarray, np.ndarray]:
    """The flat positions, in a padded ``(T, N)`` (or ``(N, T)``) batch, of the packed rows of
    sequences ``order`` (sorted by decreasing length), and the batch size of each step."""
    N = len(order)
    ls = lengths[order]
    steps = np.arange(T)
    mask = steps[:, None] < ls[None, :]  # (T, N): step t of the j-th sorted sequence exists
    t_idx, j = np.nonzero(mask)  # in packed order (time-major, then sorted batch)
    b = order[j]
    pos = b * T + t_idx if batch_first else t_idx * N + b
    return pos.astype(np.intp), mask.sum(axis=1)


def pack_padded_sequence(input: Tensor, lengths: Any, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch ``(T, N, *)`` (``(N, T, *)`` with ``batch_first``) of sequences of
    the given ``lengths``.

    Args:
        input: the padded batch.
        lengths: each sequence's length (a list or a 1-D tensor), all ``> 0``.
        batch_first: the batch is the first dimension.
        enforce_sorted: require ``lengths`` in decreasing order; with False the sequences are
            sorted here and the permutation is kept in the result.

    Example:
        >>> import lightgrad
        >>> from lightgrad.nn.utils.rnn import pack_padded_sequence
        >>> x = lightgrad.tensor([[1, 2, 3], [4, 5, 0]])
        >>> pack_padded_sequence(x, [3, 2], batch_first=True).data
        tensor([1, 4, 2, 5, 3])
    """
    op = "pack_padded_sequence"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    ls = _host(lengths).reshape(-1)
    if input.ndim < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions (seq_len, batch), got "
                           f"shape {tuple(input.shape)}")
    N = input.shape[0] if batch_first else input.shape[1]
    T = input.shape[1] if batch_first else input.shape[0]
    if len(ls) != N:
        raise RuntimeError(f"{op}: Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{len(ls)} (batch_size={N}, input shape {tuple(input.shape)})")
    if N and ls.min() <= 0:
        raise RuntimeError(f"{op}: Length of all samples has to be greater than 0, but found an "
                           f"element in 'lengths' that is <= 0 (lengths {ls.tolist()})")
    if N and ls.max() > T:
        raise RuntimeError(f"{op}: a length ({ls.max()}) exceeds the padded sequence length "
                           f"{T} (input shape {tuple(input.shape)})")
    if enforce_sorted:
        if np.any(ls[:-1] < ls[1:]):
            raise RuntimeError(f"{op}: `lengths` array must be sorted in decreasing order when "
                               f"`enforce_sorted` is True (got {ls.tolist()}). You can pass "
                               "`enforce_sorted=False` to pack_padded_sequence and/or "
                               "pack_sequence to sidestep this requirement if you do not need "
                               "ONNX exportability.")
        order = np.arange(N)
        sorted_indices = None
    else:
        order = np.argsort(-ls, kind="stable")
        sorted_indices = _long(order).to(input.device)
    pos, bs = _positions(ls, order, T, batch_first)
    bs = bs[:int(ls.max()) if N else 0]
    data = pack_rows(input, pos)
    return PackedSequence(data, _long(bs), sorted_indices, None)


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Tensor, Tensor]:
    """Unpack a :class:`PackedSequence` into a padded batch and the lengths (the inverse of
    :func:`pack_padded_sequence`).

    Args:
        sequence: the packed batch.
        batch_first: return ``(N, T, *)`` instead of ``(T, N, *)``.
        padding_value: the value of the padding.
        total_length: pad to this length (at least the longest sequence's).

    Returns:
        ``(padded, lengths)``: the batch in its original order and the int64 lengths.

    Example:
        >>> import lightgrad
        >>> from lightgrad.nn.utils.rnn import pack_sequence, pad_packed_sequence
        >>> p = pack_sequence([lightgrad.tensor([1, 2, 3]), lightgrad.tensor([4, 5])])
        >>> pad_packed_sequence(p, batch_first=True)
        (tensor([[1, 2, 3],
                [4, 5, 0]]), tensor([3, 2]))
    """
    op = "pad_packed_sequence"
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"{op}: expected a PackedSequence, got {type(sequence).__name__}")
    bs = _host(sequence.batch_sizes)
    T = len(bs)
    if total_length is not None:
        if total_length < T:
            raise ValueError(f"{op}: Expected total_length to be at least the length of the "
                             f"longest sequence in input, but got total_length={total_length} "
                             f"and max sequence length being {T}")
        T = int(total_length)
    N = int(bs[0]) if len(bs) else 0
    # sorted-order lengths: sequence j is longer than t iff j < bs[t]
    ls_sorted = (np.arange(N)[:, None] < bs[None, :]).sum(axis=1).astype(np.int64)
    order = (_host(sequence.sorted_indices) if sequence.sorted_indices is not None
             else np.arange(N))
    lengths = np.empty(N, np.int64)
    lengths[order] = ls_sorted
    pos, _ = _positions(lengths, order, T, batch_first)
    data = sequence.data
    rest = tuple(data.shape[1:])
    shape = (N, T) + rest if batch_first else (T, N) + rest
    out = pad_rows(data, pos, shape, padding_value)
    return out, _long(lengths)


def pad_sequence(sequences: Any, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack variable-length sequences ``(L_i, *)`` into ``(T, N, *)`` (``(N, T, *)`` with
    ``batch_first``), padded with ``padding_value`` on the ``padding_side`` ("right"/"left").

    Example:
        >>> import lightgrad
        >>> from lightgrad.nn.utils.rnn import pad_sequence
        >>> pad_sequence([lightgrad.tensor([1, 2, 3]), lightgrad.tensor([4])], batch_first=True)
        tensor([[1, 2, 3],
                [4, 0, 0]])
    """
    op = "pad_sequence"
    if isinstance(sequences, Tensor):
        sequences = sequences.unbind(0)
    if not isinstance(sequences, Iterable):
        raise RuntimeError(f"{op}: Expected iterable for input sequences, but got arg of type: "
                           f"{type(sequences).__name__}")
    seqs = list(sequences)
    if not seqs:
        raise RuntimeError(f"{op}: received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise ValueError(f"{op}: Expected padding_side to be one of left or right, but got "
                         f"{padding_side}.")
    for k, s in enumerate(seqs):
        if not isinstance(s, Tensor):
            raise TypeError(f"{op}: sequence {k} must be a Tensor, got {type(s).__name__}")
        if s.ndim < 1:
            raise RuntimeError(f"{op}: sequences must have at least 1 dimension, sequence {k} "
                               f"is 0-d")
        if tuple(s.shape[1:]) != tuple(seqs[0].shape[1:]):
            raise RuntimeError(f"{op}: the sequences' trailing dimensions must match: sequence "
                               f"0 has shape {tuple(seqs[0].shape)}, sequence {k} has "
                               f"{tuple(s.shape)}")
    lengths = np.array([s.shape[0] for s in seqs], np.int64)
    N, T = len(seqs), int(lengths.max())
    # rows of cat(seqs) are sequence after sequence: position of (b, t)
    b = np.repeat(np.arange(N), lengths)
    t = np.arange(len(b)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    if padding_side == "left":
        t = t + (T - lengths)[b]
    pos = (b * T + t if batch_first else t * N + b).astype(np.intp)
    rest = tuple(seqs[0].shape[1:])
    shape = (N, T) + rest if batch_first else (T, N) + rest
    data = cat(seqs, 0) if len(seqs) > 1 else seqs[0]
    return pad_rows(data, pos, shape, padding_value)


def unpad_sequence(padded_sequences: Tensor, lengths: Any,
                   batch_first: bool = False) -> list[Tensor]:
    """Split a padded batch back into its sequences (views of ``padded_sequences``).

    Example:
        >>> import lightgrad
        >>> from lightgrad.nn.utils.rnn import unpad_sequence
        >>> unpad_sequence(lightgrad.tensor([[1, 2], [3, 0]]), [2, 1], batch_first=True)
        [tensor([1, 2]), tensor([3])]
    """
    ls = _host(lengths).reshape(-1)
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    if len(ls) != x.shape[0]:
        raise RuntimeError(f"unpad_sequence: got {len(ls)} lengths for a batch of {x.shape[0]} "
                           f"(shape {tuple(padded_sequences.shape)})")
    return [x[b, :int(n)] for b, n in enumerate(ls)]


def pack_sequence(sequences: list[Tensor], enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of variable-length sequences ``(L_i, *)`` (see :func:`pack_padded_sequence`).

    Example:
        >>> import lightgrad
        >>> from lightgrad.nn.utils.rnn import pack_sequence
        >>> pack_sequence([lightgrad.tensor([1]), lightgrad.tensor([2, 3])],
        ...               enforce_sorted=False).batch_sizes
        tensor([2, 1])
    """
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences of a :class:`PackedSequence` (the inverse of
    :func:`pack_sequence`)."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
