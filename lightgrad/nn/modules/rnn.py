"""nn modules: ``RNN``, ``LSTM``, ``GRU`` (stacked, bidirectional, packed sequences) and the
single-step cells ``RNNCell``, ``LSTMCell``, ``GRUCell``.

The layers run :func:`lightgrad.ops.recurrent.rnn_layers`: one fused node per layer and
direction (see ``ops/recurrent.py``). The cells are composed from ops (linear, sigmoid, tanh),
so a loop of cells is the step-by-step twin of a fused layer. Parameter names, shapes, gate
order and initialization are PyTorch's, so a torch ``state_dict`` loads as is.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

from ... import creation
from ...ops.recurrent import gru_cell, lstm_cell, rnn_layers, rnn_relu_cell, rnn_tanh_cell
from ...tensor import Tensor
from .. import init
from ..module import Module
from ..parameter import Parameter
from ..utils.rnn import PackedSequence

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _size_arg(layer: str, name: str, v: Any, minimum: int = 1) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"{layer}: {name} should be of type int, got: {type(v).__name__}")
    if v < minimum:
        what = "greater than zero" if minimum == 1 else "non-negative"
        raise ValueError(f"{layer}: {name} must be {what}, got {v}")
    return v


class RNNBase(Module):
    """Base of :class:`RNN`, :class:`LSTM` and :class:`GRU`: configuration, parameters
    (``weight_ih_l{k}[_reverse]``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}``,
    ``weight_hr_l{k}``), initialization ``U(-1/sqrt(H), 1/sqrt(H))`` and the forward pass."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        name = {"RNN_TANH": "RNN", "RNN_RELU": "RNN"}.get(mode, mode)
        if mode not in _GATES:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):  # type: ignore[operator]
            raise ValueError(f"{name}: dropout should be a number in range [0, 1] representing "
                             f"the probability of an element being zeroed, got {dropout!r}")
        self.mode = mode
        self.input_size = _size_arg(name, "input_size", input_size)
        self.hidden_size = _size_arg(name, "hidden_size", hidden_size)
        self.num_layers = _size_arg(name, "num_layers", num_layers)
        self.proj_size = _size_arg(name, "proj_size", proj_size, 0)
        for arg, v in (("bias", bias), ("batch_first", batch_first),
                       ("bidirectional", bidirectional)):
            if not isinstance(v, bool):
                raise TypeError(f"{name}: {arg} should be of type bool, got: {type(v).__name__}")
        if proj_size and proj_size >= hidden_size:
            raise ValueError(f"{name}: proj_size has to be smaller than hidden_size (got "
                             f"proj_size={proj_size}, hidden_size={hidden_size})")
        if proj_size and mode != "LSTM":
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)  # type: ignore[arg-type]
        self.bidirectional = bidirectional
        if dropout > 0 and num_layers == 1:  # type: ignore[operator]
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        D = 2 if bidirectional else 1
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            for direction in range(D):
                in_size = input_size if layer == 0 else real_hidden * D
                sfx = "_reverse" if direction == 1 else ""
                shapes: list[tuple[str, tuple[int, ...]]] = [
                    (f"weight_ih_l{layer}{sfx}", (gate_size, in_size)),
                    (f"weight_hh_l{layer}{sfx}", (gate_size, real_hidden))]
                if bias:
                    shapes += [(f"bias_ih_l{layer}{sfx}", (gate_size,)),
                               (f"bias_hh_l{layer}{sfx}", (gate_size,))]
                if proj_size > 0:
                    shapes += [(f"weight_hr_l{layer}{sfx}", (proj_size, hidden_size))]
                for pname, shape in shapes:
                    setattr(self, pname, Parameter(creation.empty(shape, device=device,
                                                                  dtype=dtype)))
                names = [n for n, _ in shapes]
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draw every weight and bias from ``U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))``."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """PyTorch packs the weights for cuDNN here; nothing to do in lightgrad."""

    @property
    def _flat_weights(self) -> list[Parameter]:
        return [self._parameters[n] for n in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters of each layer and direction, in PyTorch's order."""
        return [[self._parameters[n] for n in names] for names in self._all_weights]

    def _layer_weights(self) -> list[tuple]:
        p = self._parameters
        out = []
        for names in self._all_weights:
            ws = [p[n] for n in names]
            w_ih, w_hh = ws[0], ws[1]
            b_ih, b_hh = (ws[2], ws[3]) if self.bias else (None, None)
            w_hr = ws[-1] if self.proj_size > 0 else None
            out.append((w_ih, w_hh, b_ih, b_hh, w_hr))
        return out

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ------------------------------------------------------------------ forward
    def _name(self) -> str:
        return type(self).__name__

    def forward(self, input: Any, hx: Any = None) -> tuple[Any, Any]:
        name = self._name()
        is_lstm = self.mode == "LSTM"
        D = 2 if self.bidirectional else 1
        H = self.hidden_size
        P = self.proj_size if self.proj_size > 0 else H
        L = self.num_layers
        packed = isinstance(input, PackedSequence)
        batched = True
        if packed:
            x, batch_sizes, sorted_idx, unsorted_idx = input
            bs = tuple(int(b) for b in batch_sizes.tolist())
            if not isinstance(x, Tensor) or x.ndim != 2:
                raise RuntimeError(f"{name}: packed input data must have 2 dimensions, got "
                                   f"shape {tuple(getattr(x, 'shape', ()))}")
            N = bs[0] if bs else 0
        else:
            if not isinstance(input, Tensor):
                raise TypeError(f"{name}: input must be a Tensor or a PackedSequence, got "
                                f"{type(input).__name__}")
            if input.ndim not in (2, 3):
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D "
                                 f"tensor instead (shape {tuple(input.shape)})")
            batched = input.ndim == 3
            bs, sorted_idx, unsorted_idx = None, None, None
            if not batched:
                x = input.unsqueeze(1)
            else:
                x = input.transpose(0, 1) if self.batch_first else input
            N = x.shape[1]
        w0 = self._parameters[self._flat_weights_names[0]]
        if x.dtype != w0.dtype:
            raise ValueError(f"{name} input dtype ({x.dtype}) does not match weight dtype "
                             f"({w0.dtype}). Convert input: input.to({w0.dtype}), or convert "
                             f"model: model.to({x.dtype})")
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}(input_size={self.input_size}): input.size(-1) must be "
                               f"equal to input_size. Expected {self.input_size}, got "
                               f"{x.shape[-1]} (input shape {tuple(x.shape)})")
        h0 = c0 = None
        if hx is not None:
            if is_lstm:
                if not isinstance(hx, tuple | list) or len(hx) != 2:
                    raise TypeError(f"{name}: hx must be a tuple (h_0, c_0), got "
                                    f"{type(hx).__name__}")
                given = [("hx[0]", "hidden[0]", hx[0], P), ("hx[1]", "hidden[1]", hx[1], H)]
            else:
                given = [("hx", "hidden", hx, P)]
            want = 3 if batched else 2
            checked = []
            for what, label, s, size in given:
                if not isinstance(s, Tensor):
                    raise TypeError(f"{name}: {what} must be a Tensor, got {type(s).__name__}")
                if s.ndim != want:
                    kind = "batched 3-D" if batched else "unbatched 2-D"
                    raise RuntimeError(f"{name}: For {kind} input, {what} should also be "
                                       f"{want}-D but got {s.ndim}-D tensor (shape "
                                       f"{tuple(s.shape)})")
                if not batched:
                    s = s.unsqueeze(1)
                expected = (L * D, N, size)
                if tuple(s.shape) != expected:
                    raise RuntimeError(f"{name}: Expected {label} size {expected}, got "
                                       f"{list(s.shape)}")
                if s.dtype != x.dtype:
                    raise ValueError(f"{name}: {what} dtype ({s.dtype}) does not match the "
                                     f"input dtype ({x.dtype})")
                if sorted_idx is not None:
                    s = s.index_select(1, sorted_idx)
                checked.append(s)
            h0 = checked[0]
            c0 = checked[1] if is_lstm else None
        mode = {"RNN_TANH": "rnn_tanh", "RNN_RELU": "rnn_relu", "LSTM": "lstm",
                "GRU": "gru"}[self.mode]
        out, h_n, c_n = rnn_layers(mode, x, h0, c0, self._layer_weights(), L, self.dropout,
                                   self.training, self.bidirectional, bs)
        if unsorted_idx is not None:
            h_n = h_n.index_select(1, unsorted_idx)
            c_n = c_n.index_select(1, unsorted_idx) if c_n is not None else None
        if packed:
            output: Any = PackedSequence(out, batch_sizes, sorted_idx, unsorted_idx)
        elif not batched:
            output = out.squeeze(1)
            h_n = h_n.squeeze(1)
            c_n = c_n.squeeze(1) if c_n is not None else None
        else:
            output = out.transpose(0, 1) if self.batch_first else out
        return output, ((h_n, c_n) if is_lstm else h_n)


class RNN(RNNBase):
    """Elman RNN (``torch.nn.RNN``): for each layer and step
    ``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``, ``act`` = tanh or relu.

    Args:
        input_size: features of the input ``x``.
        hidden_size: features of the hidden state ``h``.
        num_layers: stacked layers (default 1).
        nonlinearity: ``"tanh"`` (default) or ``"relu"``.
        bias: use ``b_ih`` and ``b_hh`` (default True).
        batch_first: input and output are ``(N, T, *)`` instead of ``(T, N, *)``.
        dropout: dropout on the outputs of each layer but the last, in training (default 0).
        bidirectional: add a second direction running from the end (default False).
        device, dtype: of the parameters.

    Shape:
        input ``(T, N, I)`` (``(N, T, I)`` with ``batch_first``), ``(T, I)`` unbatched, or a
        :class:`~lightgrad.nn.utils.rnn.PackedSequence`; h_0 ``(D * num_layers, N, H)`` (or
        ``(D * num_layers, H)``), zeros when omitted. Outputs ``output`` ``(T, N, D * H)`` (the
        last layer's states; packed for packed input) and ``h_n`` ``(D * num_layers, N, H)``.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> rnn = nn.RNN(10, 20, 2)
        >>> output, hn = rnn(lightgrad.randn(5, 3, 10), lightgrad.randn(2, 3, 20))
        >>> output.shape, hn.shape
        (lightgrad.Size([5, 3, 20]), lightgrad.Size([2, 3, 20]))
        >>> rnn
        RNN(10, 20, num_layers=2)
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self_nl = args[3]
            args = args[:3] + args[4:]
        else:
            self_nl = kwargs.pop("nonlinearity", "tanh")
        if self_nl == "tanh":
            mode = "RNN_TANH"
        elif self_nl == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self_nl}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)
        self.nonlinearity = self_nl


class LSTM(RNNBase):
    """Long short-term memory (``torch.nn.LSTM``), gates ``i, f, g, o``:
    ``c_t = σ(f) c_{t-1} + σ(i) tanh(g)``, ``h_t = σ(o) tanh(c_t)`` (times ``W_hr^T`` with
    ``proj_size > 0``).

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional: as
            :class:`RNN`.
        proj_size: project ``h_t`` to this size with ``weight_hr_l{k}`` (default 0: none).

    Shape:
        input as :class:`RNN`; ``hx = (h_0, c_0)`` with ``h_0`` ``(D * num_layers, N, P)`` and
        ``c_0`` ``(D * num_layers, N, H)`` (``P = proj_size or H``), zeros when omitted.
        Returns ``output, (h_n, c_n)``.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> lstm = nn.LSTM(10, 20, 2)
        >>> output, (hn, cn) = lstm(lightgrad.randn(5, 3, 10))
        >>> output.shape, hn.shape, cn.shape
        (lightgrad.Size([5, 3, 20]), lightgrad.Size([2, 3, 20]), lightgrad.Size([2, 3, 20]))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit (``torch.nn.GRU``), gates ``r, z, n``:
    ``n = tanh(W_in x + b_in + r (W_hn h + b_hn))``, ``h_t = (1 - z) n + z h_{t-1}``.

    Args and shapes as :class:`RNN` (no ``nonlinearity``).

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> gru = nn.GRU(10, 20, batch_first=True, bidirectional=True)
        >>> output, hn = gru(lightgrad.randn(3, 5, 10))
        >>> output.shape, hn.shape
        (lightgrad.Size([3, 5, 40]), lightgrad.Size([2, 3, 20]))
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


# ----------------------------------------------------------------------------- cells
class RNNCellBase(Module):
    """Base of the cells: ``weight_ih`` ``(G*H, I)``, ``weight_hh`` ``(G*H, H)``, ``bias_ih``,
    ``bias_hh`` ``(G*H,)``, all from ``U(-1/sqrt(H), 1/sqrt(H))``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        name = type(self).__name__
        self.input_size = _size_arg(name, "input_size", input_size, 0)
        self.hidden_size = _size_arg(name, "hidden_size", hidden_size, 0)
        self.bias = bias
        G = num_chunks * hidden_size
        self.weight_ih = Parameter(creation.empty((G, input_size), device=device, dtype=dtype))
        self.weight_hh = Parameter(creation.empty((G, hidden_size), device=device, dtype=dtype))
        if bias:
            self.bias_ih = Parameter(creation.empty(G, device=device, dtype=dtype))
            self.bias_hh = Parameter(creation.empty(G, device=device, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _prepare(self, input: Any, hx: Any, n_states: int) -> tuple[Tensor, Any, bool]:
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead "
                             f"(shape {tuple(input.shape)})")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"{name}(input_size={self.input_size}): input has "
                               f"{input.shape[-1]} features (shape {tuple(input.shape)})")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        N = x.shape[0]
        states = [hx] if n_states == 1 else (list(hx) if hx is not None else [None, None])
        out = []
        for k, s in enumerate(states):
            what = "hidden" if n_states == 1 else f"hx[{k}]"
            if s is None:
                s = creation.zeros((N, self.hidden_size), dtype=x.dtype, device=x.device)
            else:
                if not isinstance(s, Tensor):
                    raise TypeError(f"{name}: {what} must be a Tensor, got {type(s).__name__}")
                if s.ndim not in (1, 2):
                    raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {s.ndim}D "
                                     "instead")
                if not batched:
                    s = s.unsqueeze(0)
                if tuple(s.shape) != (N, self.hidden_size):
                    raise RuntimeError(f"{name}: {what} has shape {tuple(s.shape)}, expected "
                                       f"{(N, self.hidden_size)} for input of shape "
                                       f"{tuple(input.shape)}")
            out.append(s)
        return x, (out[0] if n_states == 1 else tuple(out)), batched


class RNNCell(RNNCellBase):
    """One step of an Elman RNN (``torch.nn.RNNCell``):
    ``h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)``, ``act`` = tanh or relu.

    Shape: input ``(N, I)`` or ``(I,)``, hidden ``(N, H)`` or ``(H,)`` (zeros when omitted);
    returns ``h'`` like hidden.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> cell = nn.RNNCell(10, 20)
        >>> hx = lightgrad.zeros(3, 20)
        >>> for x in lightgrad.randn(6, 3, 10):
        ...     hx = cell(x, hx)
        >>> hx.shape
        lightgrad.Size([3, 20])
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, h, batched = self._prepare(input, hx, 1)
        fn = rnn_tanh_cell if self.nonlinearity == "tanh" else rnn_relu_cell
        out = fn(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return out if batched else out.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step (``torch.nn.LSTMCell``), gates ``i, f, g, o``:
    ``c' = σ(f) c + σ(i) tanh(g)``, ``h' = σ(o) tanh(c')``.

    Shape: input ``(N, I)`` or ``(I,)``; ``hx = (h, c)`` each ``(N, H)`` (zeros when omitted);
    returns ``(h', c')``.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> cell = nn.LSTMCell(10, 20)
        >>> h, c = cell(lightgrad.randn(3, 10))
        >>> h.shape, c.shape
        (lightgrad.Size([3, 20]), lightgrad.Size([3, 20]))
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor,
                hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        x, hc, batched = self._prepare(input, hx, 2)
        h, c = lstm_cell(x, hc, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step (``torch.nn.GRUCell``), gates ``r, z, n``:
    ``n = tanh(W_in x + b_in + r (W_hn h + b_hn))``, ``h' = (1 - z) n + z h``.

    Example:
        >>> import lightgrad
        >>> from lightgrad import nn
        >>> cell = nn.GRUCell(10, 20)
        >>> cell(lightgrad.randn(3, 10)).shape
        lightgrad.Size([3, 20])
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, h, batched = self._prepare(input, hx, 1)
        out = gru_cell(x, h, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return out if batched else out.squeeze(0)
