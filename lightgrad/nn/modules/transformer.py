"""nn modules: the transformer (``torch.nn.Transformer`` and its parts, parameter for parameter,
so a torch ``state_dict`` loads) and ``PositionalEncoding`` (a lightgrad addition: the
sinusoidal encoding of "Attention Is All You Need", as in PyTorch's tutorial and d2l).

Layers are post-norm by default (``x = norm(x + sublayer(x))``) and pre-norm with
``norm_first=True`` (``x = x + sublayer(norm(x))``). Attention inside the layers runs the fused
``scaled_dot_product_attention`` (``need_weights=False``). PyTorch's inference "fast path"
(nested tensors, ``enable_nested_tensor``) does not exist here: the arguments are accepted and
the result is the regular path's.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ... import backend
from ...ops.activation import gelu, relu
from ...ops.attention import generate_square_subsequent_mask as _causal_mask
from ...ops.unary import _tensor
from ...tensor import Tensor
from .. import init
from ..module import Module
from .activation import GELU, ReLU
from .attention import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .normalization import LayerNorm

__all__ = [
    "Transformer", "TransformerEncoder", "TransformerDecoder", "TransformerEncoderLayer",
    "TransformerDecoderLayer", "PositionalEncoding",
]


def _get_clones(module: Module, n: int) -> ModuleList:
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


def _get_activation_fn(activation: str) -> Callable[[Tensor], Tensor]:
    if activation == "relu":
        return relu
    if activation == "gelu":
        return gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


def _seq_len(src: Tensor, batch_first: bool) -> int:
    if src.ndim == 2:
        return src.shape[0]
    return src.shape[1 if batch_first else 0]


def _detect_is_causal_mask(mask: Tensor | None, is_causal: bool | None = None,
                           size: int | None = None) -> bool:
    """``is_causal`` if given; otherwise whether ``mask`` equals the causal mask."""
    make_causal = is_causal is True
    if is_causal is None and mask is not None:
        sz = size if size is not None else mask.shape[-2]
        if tuple(mask.shape) == (sz, sz):
            xp = backend.get_array_module(mask.data)
            if mask.data.dtype == np.bool_:
                ref = xp.triu(xp.ones((sz, sz), dtype=bool), 1)
            else:
                ref = xp.triu(xp.full((sz, sz), -xp.inf, dtype=mask.data.dtype), 1)
            make_causal = bool(xp.array_equal(mask.data, ref))
    return make_causal


def _check_d_model(x: Tensor, d_model: int, layer: str, arg: str) -> None:
    if x.ndim not in (2, 3) or x.shape[-1] != d_model:
        raise RuntimeError(f"{layer}: {arg} must be (S, E), (S, N, E) or (N, S, E) with E = "
                           f"d_model = {d_model}, got shape {tuple(x.shape)}")


def _activation(activation: Any) -> tuple[Any, int]:
    if isinstance(activation, str):
        activation = _get_activation_fn(activation)
    if activation is relu or isinstance(activation, ReLU):
        return activation, 1
    if activation is gelu or isinstance(activation, GELU):
        return activation, 2
    if not callable(activation):
        raise TypeError(f"activation must be 'relu', 'gelu' or a callable, got "
                        f"{type(activation).__name__}")
    return activation, 0


class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward network, each with a residual connection and
    LayerNorm (``torch.nn.TransformerEncoderLayer``):
    ``x = norm1(x + SA(x)); x = norm2(x + FF(x))`` with
    ``FF(x) = linear2(dropout(activation(linear1(x))))`` (``norm_first``:
    ``x = x + SA(norm1(x)); x = x + FF(norm2(x))``).

    Args:
        d_model: ``E``; nhead: attention heads.
        dim_feedforward: hidden size of the feed-forward network (default 2048).
        dropout: dropout after attention, inside and after the feed-forward network.
        activation: ``"relu"`` (default), ``"gelu"`` or a callable.
        layer_norm_eps: LayerNorm epsilon; batch_first: ``(N, S, E)`` inputs;
        norm_first: pre-norm; bias: biases in the Linear and LayerNorm layers.

    Shape:
        ``forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False)``: src
        ``(S, N, E)`` (``(N, S, E)`` batch-first, ``(S, E)`` unbatched); ``src_mask``
        ``(S, S)`` or ``(N*nhead, S, S)``; ``src_key_padding_mask`` ``(N, S)`` (True = padding).
        Output: the shape of src.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> layer = nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32,
        ...                                    batch_first=True)
        >>> layer(lightgrad.randn(2, 7, 16)).shape
        lightgrad.Size([2, 7, 16])
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Callable[[Tensor], Tensor] = relu,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, **kw)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation, self.activation_relu_or_gelu = _activation(activation)

    def forward(self, src: Tensor, src_mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None, is_causal: bool = False) -> Tensor:
        src = _tensor(src, "TransformerEncoderLayer", "src")
        _check_d_model(src, self.self_attn.embed_dim, "TransformerEncoderLayer", "src")
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x: Tensor, attn_mask: Tensor | None, key_padding_mask: Tensor | None,
                  is_causal: bool = False) -> Tensor:
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout2(x)


class TransformerDecoderLayer(Module):
    """Masked self-attention, attention over the encoder's output (``memory``) and a
    feed-forward network, each with a residual connection and LayerNorm
    (``torch.nn.TransformerDecoderLayer``): ``x = norm1(x + SA(x)); x = norm2(x + MHA(x, mem));
    x = norm3(x + FF(x))`` (pre-norm with ``norm_first``).

    Args:
        As :class:`TransformerEncoderLayer`.

    Shape:
        ``forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
        memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False)``: tgt
        ``(T, N, E)``, memory ``(S, N, E)`` (batch-first ``(N, T, E)``, ``(N, S, E)``);
        ``tgt_mask`` ``(T, T)``, ``memory_mask`` ``(T, S)``. Output: the shape of tgt.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> layer = nn.TransformerDecoderLayer(d_model=8, nhead=2, dim_feedforward=16)
        >>> mask = nn.Transformer.generate_square_subsequent_mask(5)
        >>> layer(lightgrad.randn(5, 3, 8), lightgrad.randn(6, 3, 8), tgt_mask=mask).shape
        lightgrad.Size([5, 3, 8])
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Callable[[Tensor], Tensor] = relu,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout,
                                            batch_first=batch_first, bias=bias, **kw)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout,
                                                 batch_first=batch_first, bias=bias, **kw)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = _activation(activation)[0]

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False) -> Tensor:
        layer = "TransformerDecoderLayer"
        tgt, memory = _tensor(tgt, layer, "tgt"), _tensor(memory, layer, "memory")
        _check_d_model(tgt, self.self_attn.embed_dim, layer, "tgt")
        _check_d_model(memory, self.self_attn.embed_dim, layer, "memory")
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask,
                                    memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask,
                                               memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x: Tensor, attn_mask: Tensor | None, key_padding_mask: Tensor | None,
                  is_causal: bool = False) -> Tensor:
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           is_causal=is_causal, need_weights=False)[0]
        return self.dropout1(x)

    def _mha_block(self, x: Tensor, mem: Tensor, attn_mask: Tensor | None,
                   key_padding_mask: Tensor | None, is_causal: bool = False) -> Tensor:
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask,
                                key_padding_mask=key_padding_mask, is_causal=is_causal,
                                need_weights=False)[0]
        return self.dropout2(x)

    def _ff_block(self, x: Tensor) -> Tensor:
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout3(x)


def _num_layers(n: Any, layer: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"{layer}: num_layers must be a non-negative int, got {n!r}")
    return int(n)


class TransformerEncoder(Module):
    """A stack of ``num_layers`` deep copies of ``encoder_layer``, then ``norm`` (optional)
    (``torch.nn.TransformerEncoder``; parameters named ``layers.{i}....``, ``norm....``).

    Args:
        encoder_layer: a :class:`TransformerEncoderLayer` (copied; the copies do not share
            parameters). num_layers: how many. norm: a final layer norm, or None.
        enable_nested_tensor, mask_check: accepted for PyTorch compatibility (no effect).

    Shape:
        ``forward(src, mask=None, src_key_padding_mask=None, is_causal=None)``: as the layer's;
        ``is_causal=None`` detects a causal ``mask``.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> layer = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16)
        >>> enc = nn.TransformerEncoder(layer, num_layers=3)
        >>> enc(lightgrad.randn(5, 2, 8)).shape
        lightgrad.Size([5, 2, 8])
    """

    def __init__(self, encoder_layer: TransformerEncoderLayer, num_layers: int,
                 norm: Module | None = None, enable_nested_tensor: bool = True,
                 mask_check: bool = True) -> None:
        super().__init__()
        self.layers = _get_clones(encoder_layer, _num_layers(num_layers, "TransformerEncoder"))
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.use_nested_tensor = False  # no nested tensors in lightgrad
        self.mask_check = mask_check

    def forward(self, src: Tensor, mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None,
                is_causal: bool | None = None) -> Tensor:
        src = _tensor(src, "TransformerEncoder", "src")
        output = src
        if len(self.layers):
            first = self.layers[0]
            bf = first.self_attn.batch_first if hasattr(first, "self_attn") else False
            is_causal = _detect_is_causal_mask(mask, is_causal, _seq_len(src, bf))
            for mod in self.layers:
                output = mod(output, src_mask=mask, is_causal=is_causal,
                             src_key_padding_mask=src_key_padding_mask)
        if self.norm is not None:
            output = self.norm(output)
        return output


class TransformerDecoder(Module):
    """A stack of ``num_layers`` deep copies of ``decoder_layer``, then ``norm`` (optional)
    (``torch.nn.TransformerDecoder``).

    Shape:
        ``forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
        memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False)``: as the
        layer's; ``tgt_is_causal=None`` detects a causal ``tgt_mask``.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> layer = nn.TransformerDecoderLayer(d_model=8, nhead=2, dim_feedforward=16)
        >>> dec = nn.TransformerDecoder(layer, num_layers=2, norm=nn.LayerNorm(8))
        >>> dec(lightgrad.randn(4, 2, 8), lightgrad.randn(6, 2, 8)).shape
        lightgrad.Size([4, 2, 8])
    """

    def __init__(self, decoder_layer: TransformerDecoderLayer, num_layers: int,
                 norm: Module | None = None) -> None:
        super().__init__()
        self.layers = _get_clones(decoder_layer, _num_layers(num_layers, "TransformerDecoder"))
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Tensor | None = None,
                memory_mask: Tensor | None = None, tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False) -> Tensor:
        tgt = _tensor(tgt, "TransformerDecoder", "tgt")
        output = tgt
        if len(self.layers):
            first = self.layers[0]
            bf = first.self_attn.batch_first if hasattr(first, "self_attn") else False
            tgt_is_causal = _detect_is_causal_mask(tgt_mask, tgt_is_causal, _seq_len(tgt, bf))
            for mod in self.layers:
                output = mod(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                             tgt_key_padding_mask=tgt_key_padding_mask,
                             memory_key_padding_mask=memory_key_padding_mask,
                             tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        if self.norm is not None:
            output = self.norm(output)
        return output


class Transformer(Module):
    """The encoder-decoder transformer of "Attention Is All You Need"
    (``torch.nn.Transformer``): ``decoder(tgt, encoder(src))``, each stack followed by a
    LayerNorm; every parameter with more than one dim is re-drawn xavier-uniform.

    Args:
        d_model (512), nhead (8), num_encoder_layers (6), num_decoder_layers (6),
        dim_feedforward (2048), dropout (0.1), activation ("relu"/"gelu"/callable),
        custom_encoder, custom_decoder (modules used instead of the stacks), layer_norm_eps,
        batch_first, norm_first, bias, device, dtype: as the layers'.

    Shape:
        ``forward(src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
        src_key_padding_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None,
        src_is_causal=None, tgt_is_causal=None, memory_is_causal=False)``: src ``(S, N, E)``,
        tgt ``(T, N, E)`` (batch-first ``(N, S, E)``, ``(N, T, E)``); output ``(T, N, E)``.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> model = nn.Transformer(d_model=16, nhead=2, num_encoder_layers=1,
        ...                        num_decoder_layers=1, dim_feedforward=32, batch_first=True)
        >>> src, tgt = lightgrad.randn(2, 6, 16), lightgrad.randn(2, 4, 16)
        >>> mask = nn.Transformer.generate_square_subsequent_mask(4)
        >>> model(src, tgt, tgt_mask=mask).shape
        lightgrad.Size([2, 4, 16])
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str | Callable[[Tensor], Tensor] = relu,
                 custom_encoder: Any | None = None, custom_decoder: Any | None = None,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            encoder_layer = TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout,
                                                    activation, layer_norm_eps, batch_first,
                                                    norm_first, bias, **kw)
            encoder_norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
            self.encoder = TransformerEncoder(encoder_layer, num_encoder_layers, encoder_norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            decoder_layer = TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout,
                                                    activation, layer_norm_eps, batch_first,
                                                    norm_first, bias, **kw)
            decoder_norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
            self.decoder = TransformerDecoder(decoder_layer, num_decoder_layers, decoder_norm)
        self._reset_parameters()
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def forward(self, src: Tensor, tgt: Tensor, src_mask: Tensor | None = None,
                tgt_mask: Tensor | None = None, memory_mask: Tensor | None = None,
                src_key_padding_mask: Tensor | None = None,
                tgt_key_padding_mask: Tensor | None = None,
                memory_key_padding_mask: Tensor | None = None,
                src_is_causal: bool | None = None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False) -> Tensor:
        src, tgt = _tensor(src, "Transformer", "src"), _tensor(tgt, "Transformer", "tgt")
        is_batched = src.ndim == 3
        bd = 0 if self.batch_first else 1
        if is_batched and (tgt.ndim != 3 or src.shape[bd] != tgt.shape[bd]):
            raise RuntimeError(f"Transformer: the batch number of src and tgt must be equal, got "
                               f"shapes {tuple(src.shape)} and {tuple(tgt.shape)} "
                               f"(batch_first={self.batch_first})")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError(f"Transformer: the feature number of src and tgt must be equal "
                               f"to d_model = {self.d_model}, got shapes {tuple(src.shape)} and "
                               f"{tuple(tgt.shape)}")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device: Any = None,
                                        dtype: Any = None) -> Tensor:
        """The causal mask ``(sz, sz)``: ``-inf`` above the diagonal, ``0`` elsewhere."""
        return _causal_mask(sz, device=device, dtype=dtype)

    def _reset_parameters(self) -> None:
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)


class PositionalEncoding(Module):
    """Sinusoidal positional encoding added to the input, then dropout (a lightgrad addition,
    as PyTorch's transformer tutorial and d2l):
    ``PE[pos, 2i] = sin(pos / 10000^(2i/d))``, ``PE[pos, 2i+1] = cos(pos / 10000^(2i/d))``.

    Args:
        d_model: ``E`` (odd sizes work: the last column is a sine).
        dropout: dropout after the addition (default 0.1).
        max_len: the longest sequence supported (default 5000).
        batch_first: inputs ``(N, S, E)`` instead of ``(S, N, E)``.
        device, dtype: for the ``pe`` buffer.

    Attributes:
        pe: the table, a (persistent) buffer of shape ``(max_len, 1, E)`` (batch-first:
        ``(1, max_len, E)``), as the tutorial's, so its state dicts load.

    Shape:
        Input ``(S, N, E)`` (batch-first ``(N, S, E)``), ``S <= max_len``; output the same.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> pe = nn.PositionalEncoding(4, dropout=0.0, max_len=10)
        >>> pe(lightgrad.zeros(2, 1, 4))[:, 0]
        tensor([[0.0000, 1.0000, 0.0000, 1.0000],
                [0.8415, 0.5403, 0.0100, 0.9999]])
    """

    def __init__(self, d_model: int, dropout: float = 0.1, max_len: int = 5000,
                 batch_first: bool = False, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        name = "PositionalEncoding"
        for arg, v in (("d_model", d_model), ("max_len", max_len)):
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or v <= 0:
                raise ValueError(f"{name}: {arg} must be a positive int, got {v!r}")
        self.d_model, self.max_len, self.batch_first = int(d_model), int(max_len), batch_first
        self.dropout = Dropout(dropout)
        dt = backend.get_default_dtype() if dtype is None else backend.as_dtype(dtype)
        pos = np.arange(max_len, dtype=np.float64)[:, None]  # (max_len, 1)
        div = np.exp(np.arange(0, d_model, 2, dtype=np.float64) * (-math.log(10000.0) / d_model))
        pe = np.zeros((max_len, d_model), dtype=np.float64)
        pe[:, 0::2] = np.sin(pos * div)  # (max_len, ceil(E/2))
        pe[:, 1::2] = np.cos(pos * div[: d_model // 2])  # (max_len, floor(E/2))
        pe = pe[None] if batch_first else pe[:, None]  # (1, max_len, E) / (max_len, 1, E)
        arr = pe.astype(dt)
        if device is not None:
            arr = backend.to_device(arr, backend.Device(device))
        self.register_buffer("pe", Tensor._make(arr))

    def forward(self, x: Tensor) -> Tensor:
        x = _tensor(x, "PositionalEncoding", "x")
        sd = 1 if self.batch_first else 0
        if x.ndim != 3 or x.shape[-1] != self.d_model or x.shape[sd] > self.max_len:
            raise RuntimeError(f"PositionalEncoding(d_model={self.d_model}, max_len="
                               f"{self.max_len}): expected input "
                               f"{'(N, S, E)' if self.batch_first else '(S, N, E)'} with "
                               f"E = {self.d_model} and S <= {self.max_len}, got shape "
                               f"{tuple(x.shape)}")
        s = x.shape[sd]
        pe = self.pe[:, :s] if self.batch_first else self.pe[:s]
        return self.dropout(x + pe)

    def extra_repr(self) -> str:
        return (f"d_model={self.d_model}, max_len={self.max_len}"
                + (", batch_first=True" if self.batch_first else ""))
