"""The benchmark workloads (issue 8), each one full float32 step, for lightgrad and for PyTorch.

A workload is defined once against the API the two libraries share (``lib`` is ``lightgrad`` or
``torch``; ``lib.nn``, ``lib.optim``, ``lib.no_grad``), the way ``tests/helpers.py`` drives both
frameworks with one lambda. :func:`build_pair` builds the lightgrad side first (seeded with
``lightgrad.manual_seed``), then the PyTorch side with lightgrad's initial weights copied in, and
gives both the same four seeded NumPy batches, rotated step by step. A training step is
``zero_grad``, forward, loss, ``backward``, optimizer ``step``; an inference step is a forward
under ``no_grad`` in eval mode.

PyTorch is imported only when a torch side is built, so a lightgrad-only process (the memory
measurement) never loads it.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# ----------------------------------------------------------------------------- models
# Each factory takes ``lib`` and ``dropout`` (False replaces every dropout probability with 0, so
# that the two sides draw no random masks: the parity test needs identical steps).


def _mlp_small(lib: Any, dropout: bool) -> Any:
    nn = lib.nn
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


def _mlp_wide(lib: Any, dropout: bool) -> Any:
    nn = lib.nn
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                         nn.Linear(512, 10))


def _lenet5(lib: Any, dropout: bool) -> Any:
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),  # (N, 6, 14, 14)
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),  # (N, 16, 5, 5)
        nn.Flatten(),  # (N, 400)
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def _cnn_mnist(lib: Any, dropout: bool) -> Any:
    nn = lib.nn
    p1, p2 = (0.25, 0.5) if dropout else (0.0, 0.0)
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(),  # (N, 32, 26, 26)
        nn.Conv2d(32, 64, 3), nn.ReLU(),  # (N, 64, 24, 24)
        nn.MaxPool2d(2), nn.Dropout(p1),  # (N, 64, 12, 12)
        nn.Flatten(),  # (N, 9216)
        nn.Linear(9216, 128), nn.ReLU(), nn.Dropout(p2), nn.Linear(128, 10))


def _lstm_classify(lib: Any, dropout: bool) -> Any:
    nn = lib.nn

    class LSTMClassifier(nn.Module):  # type: ignore[name-defined]  # lib.nn
        """Embedding 5000x64, LSTM 64 -> 128, last hidden state -> 2 classes."""

        def __init__(self) -> None:
            super().__init__()
            self.embedding = nn.Embedding(5000, 64)
            self.lstm = nn.LSTM(64, 128, batch_first=True)
            self.fc = nn.Linear(128, 2)

        def forward(self, tokens: Any) -> Any:
            _, (h, _) = self.lstm(self.embedding(tokens))  # h: (1, N, 128)
            return self.fc(h[-1])  # (N, 2)

    return LSTMClassifier()


VOCAB, SEQ2SEQ_STEPS = 28, 12


def _gru_seq2seq(lib: Any, dropout: bool) -> Any:
    nn = lib.nn

    class Seq2Seq(nn.Module):  # type: ignore[name-defined]  # lib.nn
        """GRU encoder and decoder (128) over one shared embedding (28 x 32); teacher forcing: the
        decoder reads the target shifted right by one (token 0 starts) from the encoder's final
        state; one linear layer gives the logits of every step."""

        def __init__(self) -> None:
            super().__init__()
            self.embedding = nn.Embedding(VOCAB, 32)
            self.encoder = nn.GRU(32, 128, batch_first=True)
            self.decoder = nn.GRU(32, 128, batch_first=True)
            self.out = nn.Linear(128, VOCAB)

        def forward(self, src: Any, tgt_in: Any) -> Any:
            _, h = self.encoder(self.embedding(src))  # h: (1, N, 128)
            dec, _ = self.decoder(self.embedding(tgt_in), h)  # (N, T, 128)
            return self.out(dec).reshape(-1, VOCAB)  # (N * T, V): per-step cross-entropy

    return Seq2Seq()


def _rnn_tanh(lib: Any, dropout: bool) -> Any:
    nn = lib.nn

    class RNNRegressor(nn.Module):  # type: ignore[name-defined]  # lib.nn
        """RNN 1 -> 32 (tanh) over the series, last hidden state -> the next value."""

        def __init__(self) -> None:
            super().__init__()
            self.rnn = nn.RNN(1, 32, nonlinearity="tanh", batch_first=True)
            self.fc = nn.Linear(32, 1)

        def forward(self, x: Any) -> Any:
            _, h = self.rnn(x)  # h: (1, N, 32)
            return self.fc(h[-1])  # (N, 1)

    return RNNRegressor()


# ----------------------------------------------------------------------------- data
# Each takes a seeded generator and the batch size and returns the arrays of one batch: the
# model's inputs, then (for training) the target.


def _labels(r: np.random.Generator, n: int, classes: int) -> np.ndarray:
    return r.integers(0, classes, n, dtype=np.int64)


def _data_mlp_small(r: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    return r.standard_normal((n, 64), dtype=np.float32), _labels(r, n, 10)


def _data_mlp_wide(r: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    return r.random((n, 784), dtype=np.float32), _labels(r, n, 10)


def _data_images(r: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    return r.random((n, 1, 28, 28), dtype=np.float32), _labels(r, n, 10)


def _data_lstm(r: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    return r.integers(0, 5000, (n, 50), dtype=np.int64), _labels(r, n, 2)


def _data_seq2seq(r: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    src = r.integers(1, VOCAB, (n, SEQ2SEQ_STEPS), dtype=np.int64)
    tgt = np.ascontiguousarray(src[:, ::-1])  # the task: reverse the sequence
    tgt_in = np.concatenate([np.zeros((n, 1), np.int64), tgt[:, :-1]], axis=1)
    return src, tgt_in, tgt.reshape(-1)


def _data_series(r: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    t = np.arange(51, dtype=np.float32) * 0.2
    freq = r.uniform(0.5, 2.0, (n, 1)).astype(np.float32)
    phase = r.uniform(0, 2 * np.pi, (n, 1)).astype(np.float32)
    s = np.sin(freq * t + phase) + 0.05 * r.standard_normal((n, 51), dtype=np.float32)
    s = s.astype(np.float32)
    return np.ascontiguousarray(s[:, :50, None]), np.ascontiguousarray(s[:, 50:])


def _data_inference(r: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    return (r.random((n, 784), dtype=np.float32),)


# ----------------------------------------------------------------------------- the table
@dataclass(frozen=True)
class Workload:
    """One benchmark: model, data, loss and optimizer, and the target ratio lightgrad / PyTorch."""

    name: str
    description: str
    model: Callable[[Any, bool], Any]
    data: Callable[[np.random.Generator, int], tuple[np.ndarray, ...]]
    batch: int
    loss: str | None  # "cross_entropy", "mse", or None: an inference workload
    optimizer: tuple[str, float] | None  # ("SGD" | "Adam", lr)
    target: float  # the speed target: ratio lightgrad / PyTorch at most this

    @property
    def training(self) -> bool:
        return self.loss is not None


WORKLOADS: dict[str, Workload] = {w.name: w for w in (
    Workload("mlp_small", "64 -> 128 ReLU -> 10, CE, SGD lr 0.1, batch 32",
             _mlp_small, _data_mlp_small, 32, "cross_entropy", ("SGD", 0.1), 1.0),
    Workload("mlp_wide", "784 -> 512 -> 512 -> 10 ReLU, CE, Adam, batch 128",
             _mlp_wide, _data_mlp_wide, 128, "cross_entropy", ("Adam", 1e-3), 1.0),
    Workload("lenet5", "LeNet-5 (conv 6@5x5 p2, pool, conv 16@5x5, pool, 120, 84, 10), Adam, "
             "batch 64", _lenet5, _data_images, 64, "cross_entropy", ("Adam", 1e-3), 1.25),
    Workload("cnn_mnist", "conv 32@3x3, conv 64@3x3, pool, dropout .25, 128, dropout .5, 10; "
             "Adam, batch 128", _cnn_mnist, _data_images, 128, "cross_entropy", ("Adam", 1e-3),
             1.25),
    Workload("lstm_classify", "embedding 5000x64, LSTM 64 -> 128, last hidden -> 2; seq 50, "
             "Adam, batch 64", _lstm_classify, _data_lstm, 64, "cross_entropy", ("Adam", 1e-3),
             1.25),
    Workload("gru_seq2seq", "vocab 28, embedding 32, GRU encoder + decoder 128, 12 steps, "
             "teacher forcing, per-step CE; Adam, batch 64", _gru_seq2seq, _data_seq2seq, 64,
             "cross_entropy", ("Adam", 1e-3), 1.25),
    Workload("rnn_tanh_timeseries", "RNN 1 -> 32 tanh, 50 steps, last hidden -> 1, MSE, SGD "
             "lr 0.01, batch 32", _rnn_tanh, _data_series, 32, "mse", ("SGD", 0.01), 1.0),
    Workload("inference_mlp_b1", "mlp_wide forward under no_grad, batch 1",
             _mlp_wide, _data_inference, 1, None, None, 1.0),
    Workload("inference_mlp_b1024", "mlp_wide forward under no_grad, batch 1024",
             _mlp_wide, _data_inference, 1024, None, None, 1.0),
)}

FRAMEWORKS = ("lightgrad", "torch")
N_BATCHES = 4


def get(name: str) -> Workload:
    """The workload called ``name``; a ``KeyError`` lists the known names."""
    try:
        return WORKLOADS[name]
    except KeyError:
        raise KeyError(f"unknown workload {name!r}; known: {', '.join(WORKLOADS)}") from None


def make_batches(w: Workload, batch_scale: int = 1, seed: int = 0) -> list[tuple[np.ndarray, ...]]:
    """The workload's four batches (NumPy arrays), the same for both frameworks."""
    if not isinstance(batch_scale, int) or batch_scale < 1:
        raise ValueError(f"make_batches({w.name}): batch_scale must be a positive int, got "
                         f"{batch_scale!r}")
    r = np.random.default_rng(seed)
    return [w.data(r, w.batch * batch_scale) for _ in range(N_BATCHES)]


# ----------------------------------------------------------------------------- runnable steps
@dataclass
class Bench:
    """A built workload on one framework: ``step(i)`` runs step ``i`` (batch ``i % 4``) and
    returns the loss (training) or the output (inference); ``sync()`` waits for the device."""

    workload: Workload
    framework: str
    lib: Any
    model: Any
    step: Callable[[int], Any]
    sync: Callable[[], None]

    def parameters(self) -> dict[str, np.ndarray]:
        """The model's parameters as NumPy copies, by name."""
        return {k: np.array(p.detach().cpu().numpy()) for k, p in self.model.named_parameters()}

    def gradients(self) -> dict[str, np.ndarray]:
        """The parameters' ``.grad`` after the last training step, as NumPy copies, by name."""
        return {k: np.array(p.grad.cpu().numpy()) for k, p in self.model.named_parameters()
                if p.grad is not None}


def import_framework(framework: str) -> Any:
    if framework not in FRAMEWORKS:
        raise ValueError(f"unknown framework {framework!r}; expected one of {FRAMEWORKS}")
    return importlib.import_module(framework)


def check_device(framework: str, device: str) -> None:
    """Raise a clear ``RuntimeError`` if ``framework`` cannot run on ``device``."""
    if device == "cpu":
        return
    if device != "cuda":
        raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}")
    if framework == "lightgrad" and os.environ.get("CUPY_TF32", "0") != "0":
        raise RuntimeError("--device cuda: CUPY_TF32 is set: float32 products must not use TF32 "
                           "(PyTorch's side runs with TF32 off); unset it")
    lib = import_framework(framework)
    if not lib.cuda.is_available():
        why = ("CuPy is not installed or sees no CUDA GPU (pip install 'lightgrad[gpu]')"
               if framework == "lightgrad" else
               f"torch {lib.__version__} has no CUDA device (a CPU build, or no GPU/driver)")
        raise RuntimeError(f"--device cuda: {framework} cannot use a GPU: {why}")


def _sync_fn(lib: Any, framework: str, device: str) -> Callable[[], None]:
    if device == "cpu":
        return lambda: None
    if framework == "torch":
        return lib.cuda.synchronize
    from lightgrad import backend

    cp = backend.cupy_module()
    return cp.cuda.runtime.deviceSynchronize


def build(name: str, framework: str, *, device: str = "cpu", batch_scale: int = 1,
          seed: int = 0, dropout: bool = True,
          state: dict[str, np.ndarray] | None = None) -> Bench:
    """Build workload ``name`` on ``framework`` ("lightgrad" or "torch").

    Args:
        device: "cpu", or "cuda" (lightgrad on CuPy; PyTorch on CUDA with TF32 off).
        batch_scale: multiply the workload's batch size (e.g. 8 for the GPU runs).
        seed: seeds the data and, on lightgrad, the initial weights (``lightgrad.manual_seed``).
        dropout: False sets every dropout probability to 0 (identical steps for the parity test).
        state: initial weights by parameter name (NumPy arrays) to load; ``None`` keeps the
            framework's own initialization.
    Raises:
        KeyError: unknown workload. RuntimeError: ``device="cuda"`` without a usable GPU.
    """
    w = get(name)
    check_device(framework, device)
    lib = import_framework(framework)
    if framework == "lightgrad":
        lib.manual_seed(seed)
    elif device == "cuda":  # compare float32 with float32 on both sides
        lib.backends.cuda.matmul.allow_tf32 = False
        lib.backends.cudnn.allow_tf32 = False
    model = w.model(lib, dropout)
    if state is not None:
        if framework == "torch":
            model.load_state_dict({k: lib.from_numpy(np.array(v)) for k, v in state.items()})
        else:
            model.load_state_dict(state)
    model.to(device)
    model.train(w.training)

    def put(a: np.ndarray) -> Any:
        if framework == "torch":
            return lib.from_numpy(a).to(device)
        return lib.tensor(a, device=device)

    batches = [tuple(put(a) for a in b) for b in make_batches(w, batch_scale, seed)]
    sync = _sync_fn(lib, framework, device)

    if not w.training:
        def infer(i: int) -> Any:
            (x,) = batches[i % N_BATCHES]
            with lib.no_grad():
                return model(x)

        return Bench(w, framework, lib, model, infer, sync)

    assert w.optimizer is not None
    opt_name, lr = w.optimizer
    opt = getattr(lib.optim, opt_name)(model.parameters(), lr=lr)
    loss_fn = lib.nn.CrossEntropyLoss() if w.loss == "cross_entropy" else lib.nn.MSELoss()

    def train(i: int) -> Any:
        *xs, y = batches[i % N_BATCHES]
        opt.zero_grad()
        loss = loss_fn(model(*xs), y)
        loss.backward()
        opt.step()
        return loss

    return Bench(w, framework, lib, model, train, sync)


def build_pair(name: str, *, device: str = "cpu", batch_scale: int = 1, seed: int = 0,
               dropout: bool = True) -> tuple[Bench, Bench]:
    """The lightgrad and PyTorch sides of ``name`` with the same initial weights and data."""
    lg = build(name, "lightgrad", device=device, batch_scale=batch_scale, seed=seed,
               dropout=dropout)
    torch_side = build(name, "torch", device=device, batch_scale=batch_scale, seed=seed,
                       dropout=dropout, state=lg.parameters())
    return lg, torch_side


def select(names: Sequence[str] | None) -> list[Workload]:
    """The workloads named (all of them, in table order, for ``None`` or an empty list)."""
    if not names:
        return list(WORKLOADS.values())
    return [get(n) for n in names]
