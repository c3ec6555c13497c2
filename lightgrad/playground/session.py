"""One playground training run: the data, the network, the optimizer and the pictures.

A :class:`TrainingSession` is built from validated :class:`~.settings.Settings` and trains in
lightgrad exactly as the script that :func:`~.export.export_script` writes for the same settings
(same data, same initial weights, same batches, same dropout masks), so epoch ``N`` on the page
and epoch ``N`` of the script reach the same loss.

Reproducibility: every random draw of a session (initial weights, batch order, dropout) comes
from lightgrad's default generator, the one a script seeds with ``lightgrad.manual_seed``. A
session keeps its own generator state and swaps it in, under a process-wide lock, around each
piece of work, so sessions in other threads neither disturb it nor are disturbed.

Pictures: :meth:`TrainingSession.frame` runs ONE batched forward pass under ``no_grad`` over the
``100 x 100`` grid of the plane ``[-6, 6]^2`` together with the train and test points; it reads
every hidden neuron's activation on the way (the small per-neuron heatmaps, subsampled to
``25 x 25``), the output (the big heatmap) and the losses. Heatmaps travel as base64 bytes: a
value ``v`` clipped to ``[-1, 1]`` is the byte ``round((v + 1) * 127.5)``.
"""

from __future__ import annotations

import base64
import contextlib
import io
import math
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

import lightgrad
from lightgrad import backend, nn
from lightgrad.datasets import toy
from lightgrad.optim.regularization import l1_penalty, l2_penalty
from lightgrad.utils.data import DataLoader, TensorDataset

from .settings import Settings

__all__ = ["DOMAIN", "GRID", "NEURON_GRID", "TrainingSession", "build_model", "build_optimizer",
           "feature_matrix", "make_data", "quantize"]

#: The plane shown on the page: ``[-DOMAIN, DOMAIN]^2`` (the playground's points lie in it).
DOMAIN = 6.0
#: Resolution of the output heatmap (``GRID x GRID`` points through the network each frame).
GRID = 100
#: Resolution of each neuron's small heatmap (every ``GRID // NEURON_GRID``-th grid point).
NEURON_GRID = 25

#: data set name -> toy generator
GENERATORS: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
    "circle": toy.make_circle,
    "xor": toy.make_xor,
    "gauss": toy.make_gaussians,
    "spiral": toy.make_spiral,
    "plane": toy.make_plane,
    "multigauss": toy.make_multi_gaussian,
}

#: activation name -> (module class name in lightgrad.nn)
ACTIVATION_MODULES = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "linear": "Identity"}

# One lock for lightgrad's default generator: a session swaps its own state in under it.
_RNG_LOCK = threading.Lock()


def make_data(settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """The setup's points (already shuffled by the generator): ``X`` float32 ``(n, 2)`` and the
    targets ``y`` float32 ``(n,)`` (0/1 classes or regression values)."""
    gen = GENERATORS[settings.dataset]
    X, y = gen(n=settings.points, noise=settings.noise / 100, seed=settings.seed)
    return X, y.astype(np.float32)


def feature_matrix(X: np.ndarray, features: tuple[str, ...]) -> np.ndarray:
    """The input features of the points ``X`` (``(n, 2)``), one column per name, float32."""
    x1, x2 = X[:, 0], X[:, 1]
    columns = {"x1": lambda: x1, "x2": lambda: x2, "x1sq": lambda: x1 * x1,
               "x2sq": lambda: x2 * x2, "x1x2": lambda: x1 * x2, "sinx1": lambda: np.sin(x1),
               "sinx2": lambda: np.sin(x2)}
    return np.stack([columns[f]() for f in features], axis=1).astype(np.float32, copy=False)


def build_model(settings: Settings) -> nn.Sequential:
    """``Linear -> activation [-> Dropout]`` per hidden layer, then ``Linear(., 1)``.

    The weights are drawn from lightgrad's default generator (PyTorch's default init)."""
    layers: list[nn.Module] = []
    width = len(settings.features)
    for n in settings.layers:
        layers += [nn.Linear(width, n), getattr(nn, ACTIVATION_MODULES[settings.activation])()]
        if settings.dropout > 0:
            layers.append(nn.Dropout(settings.dropout))
        width = n
    layers.append(nn.Linear(width, 1))
    return nn.Sequential(*layers)


def build_optimizer(settings: Settings, model: nn.Module) -> lightgrad.optim.Optimizer:
    """The optimizer named by ``settings.optimizer`` at ``settings.lr``."""
    params = model.parameters()
    if settings.optimizer == "sgd":
        return lightgrad.optim.SGD(params, lr=settings.lr)
    if settings.optimizer == "momentum":
        return lightgrad.optim.SGD(params, lr=settings.lr, momentum=0.9)
    if settings.optimizer == "adam":
        return lightgrad.optim.Adam(params, lr=settings.lr)
    return lightgrad.optim.RMSprop(params, lr=settings.lr)


def quantize(values: np.ndarray) -> str:
    """Values clipped to ``[-1, 1]`` as base64 bytes ``round((v + 1) * 127.5)``."""
    v = np.nan_to_num(np.asarray(values, dtype=np.float32), nan=0.0, posinf=1.0, neginf=-1.0)
    q = np.rint((np.clip(v, -1.0, 1.0) + 1.0) * 127.5).astype(np.uint8)
    return base64.b64encode(q.tobytes()).decode("ascii")


def _round(a: np.ndarray, digits: int = 5) -> list[Any]:
    """JSON-ready rounded values; a diverged run's NaN / inf become 0 / +-1e6."""
    v = np.clip(np.nan_to_num(a.astype(np.float64), nan=0.0, posinf=1e6, neginf=-1e6), -1e6, 1e6)
    out: list[Any] = np.round(v, digits).tolist()
    return out


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


class TrainingSession:
    """A network training on a playground data set, one mini-batch at a time.

    Args:
        settings: the validated setup.
        grid: resolution of the output heatmap (default :data:`GRID`).
        neuron_grid: resolution of the per-neuron heatmaps (default :data:`NEURON_GRID`;
            must divide ``grid``).

    Example:
        >>> from lightgrad.playground.settings import parse_settings
        >>> s = TrainingSession(parse_settings({"dataset": "gauss", "seed": 3}))
        >>> s.train_epochs(5)
        >>> s.epoch, s.frame()["test_loss"] < 0.5
        (5, True)
    """

    def __init__(self, settings: Settings, grid: int = GRID,
                 neuron_grid: int = NEURON_GRID) -> None:
        if grid % neuron_grid:
            raise ValueError(f"TrainingSession: neuron_grid ({neuron_grid}) must divide grid "
                             f"({grid})")
        self.settings = settings
        self.grid = grid
        self.neuron_grid = neuron_grid
        axis = np.linspace(-DOMAIN, DOMAIN, grid, dtype=np.float32)
        gx, gy = np.meshgrid(axis, axis[::-1])  # row 0 is the top of the picture (y = +6)
        self._grid_points = np.stack([gx.ravel(), gy.ravel()], axis=1)
        self.reset()

    # ------------------------------------------------------------------ setup
    def reset(self) -> None:
        """Regenerate the data and start training afresh from the seeded initial weights."""
        s = self.settings
        X, y = make_data(s)
        self.points, self.targets = X, y
        self.n_train = s.n_train
        x = lightgrad.tensor(feature_matrix(X, s.features))
        target = lightgrad.tensor(y)
        self.x_train, self.y_train = x[:self.n_train], target[:self.n_train]
        self.x_test, self.y_test = x[self.n_train:], target[self.n_train:]
        self._rng_state = backend.Generator().manual_seed(s.seed).get_state()
        with self._own_rng():
            self.model = build_model(s)
            self.optimizer = build_optimizer(s, self.model)
        self.loss_fn: nn.Module = nn.BCEWithLogitsLoss() if s.problem == "classification" \
            else nn.MSELoss()
        self.weights = [m.weight for m in self.model if isinstance(m, nn.Linear)]
        self.loader: DataLoader = DataLoader(TensorDataset(self.x_train, self.y_train),
                                             batch_size=s.batch, shuffle=True)
        self._batches: Iterator[Any] | None = None
        self.epoch = 0
        self.steps = 0
        self._eval_input = lightgrad.tensor(np.concatenate(
            [feature_matrix(self._grid_points, s.features), feature_matrix(X, s.features)]))

    @contextlib.contextmanager
    def _own_rng(self) -> Iterator[None]:
        """Swap this session's state into lightgrad's default generator for the block."""
        with _RNG_LOCK:
            gen = backend.default_generator
            saved = gen.get_state()
            gen.set_state(self._rng_state)
            try:
                yield
            finally:
                self._rng_state = gen.get_state()
                gen.set_state(saved)

    # ------------------------------------------------------------------ training
    def _step(self, xb: lightgrad.Tensor, yb: lightgrad.Tensor) -> None:
        s = self.settings
        self.optimizer.zero_grad()
        loss = self.loss_fn(self.model(xb).squeeze(1), yb)
        if s.reg == "l1":
            loss = loss + s.reg_rate * l1_penalty(self.weights)
        elif s.reg == "l2":
            loss = loss + s.reg_rate / 2 * l2_penalty(self.weights)
        loss.backward()
        self.optimizer.step()
        self.steps += 1

    def _train(self, done: Callable[[], bool]) -> None:
        self.model.train()
        # a too-high learning rate diverges to inf / NaN: the page shows it, NumPy need not warn
        with self._own_rng(), np.errstate(all="ignore"):
            while True:
                if self._batches is None:
                    self._batches = iter(self.loader)
                batch = next(self._batches, None)
                if batch is None:  # the loader is exhausted: one more epoch done
                    self._batches = None
                    self.epoch += 1
                    if done():
                        return
                    continue
                self._step(*batch)
                if done():
                    return

    def train_epochs(self, n: int = 1) -> None:
        """Train until ``n`` more epochs are complete (finishing a partial one first)."""
        if n < 1:
            return
        target = self.epoch + n
        self._train(lambda: self.epoch >= target)

    def train_for(self, seconds: float, overrun: float = 4.0) -> None:
        """Train for about ``seconds``, stopping at the end of an epoch (at least one batch).

        An epoch that would run past ``(1 + overrun) * seconds`` is left partial (the next
        call continues it), so a big epoch (many points, small batches) still gives regular
        frames; :meth:`finish_epoch` completes it.
        """
        start = time.perf_counter()
        deadline, hard = start + seconds, start + (1.0 + overrun) * seconds

        def done() -> bool:
            now = time.perf_counter()
            return (now >= deadline and self._batches is None) or now >= hard

        self._train(done)

    @property
    def partial(self) -> bool:
        """Whether the current epoch is under way (some but not all of its batches done)."""
        return self._batches is not None

    def finish_epoch(self) -> None:
        """Complete a partial epoch (nothing at an epoch boundary)."""
        if self._batches is not None:
            self.train_epochs(1)

    # ------------------------------------------------------------------ reading
    def _forward_all(self) -> tuple[list[np.ndarray], np.ndarray]:
        """One batched forward pass over grid + train + test points, under ``no_grad`` in
        eval mode: the hidden activations (one ``(rows, n)`` array per layer) and the output."""
        hidden = []
        act_type = type(self.model[1]) if len(self.model) > 1 else None
        self.model.eval()
        try:
            with lightgrad.no_grad(), np.errstate(all="ignore"):
                h = self._eval_input
                for layer in self.model:
                    h = layer(h)
                    if act_type is not None and type(layer) is act_type:
                        hidden.append(h.numpy())
        finally:
            self.model.train()
        return hidden, h.numpy()[:, 0]

    def evaluate(self) -> dict[str, float | None]:
        """Train and test loss (and accuracy for classification), in eval mode."""
        return self._read()[0]

    def _read(self) -> tuple[dict[str, Any], list[np.ndarray], np.ndarray]:
        hidden, out = self._forward_all()
        g2 = self.grid * self.grid
        train_out, test_out = out[g2:g2 + self.n_train], out[g2 + self.n_train:]
        with lightgrad.no_grad(), np.errstate(all="ignore"):
            stats: dict[str, Any] = {
                "train_loss": _finite(float(self.loss_fn(lightgrad.tensor(train_out),
                                                         self.y_train))),
                "test_loss": _finite(float(self.loss_fn(lightgrad.tensor(test_out),
                                                        self.y_test))),
            }
        if self.settings.problem == "classification":
            ytr, yte = self.y_train.numpy(), self.y_test.numpy()
            wrong_train = (train_out > 0) != (ytr > 0.5)
            wrong_test = (test_out > 0) != (yte > 0.5)
            stats["train_accuracy"] = float(1.0 - wrong_train.mean())
            stats["test_accuracy"] = float(1.0 - wrong_test.mean())
            stats["wrong_train"] = np.flatnonzero(wrong_train).tolist()
            stats["wrong_test"] = np.flatnonzero(wrong_test).tolist()
        return stats, hidden, out

    def frame(self) -> dict[str, Any]:
        """The page's picture of the network now (JSON-ready).

        Keys: ``type`` ("frame"), ``epoch`` (complete epochs), ``steps``, ``partial`` (an
        epoch is under way, see :meth:`train_for`), ``diverged`` (a weight is NaN or
        infinite: the learning rate is too high), ``train_loss``, ``test_loss`` (None if
        not finite), for classification ``train_accuracy``, ``test_accuracy``, ``wrong_train``
        and ``wrong_test`` (indices of misclassified points); ``output`` (the quantized
        ``grid x grid`` heatmap: the probability of class 1 as ``2 p - 1``, or the regression
        output), ``neurons`` (per hidden layer, per neuron, a quantized
        ``neuron_grid x neuron_grid`` heatmap of its activation), ``weights`` and ``biases``
        (per ``Linear``, ``weights[l][j][i]`` from input ``i`` to neuron ``j``) and ``grads``
        (their gradients at the last mini-batch, zeros before any training).
        """
        stats, hidden, out = self._read()
        g, g2 = self.grid, self.grid * self.grid
        grid_out = out[:g2]
        if self.settings.problem == "classification":
            with np.errstate(all="ignore"):
                grid_out = np.tanh(grid_out / 2)  # = 2 sigmoid(z) - 1
        stride = g // self.neuron_grid
        neurons = []
        for act in hidden:
            maps = act[:g2].reshape(g, g, -1)[stride // 2::stride, stride // 2::stride]
            neurons.append([quantize(maps[:, :, j]) for j in range(maps.shape[2])])
        linears = [m for m in self.model if isinstance(m, nn.Linear)]
        diverged = not all(bool(np.isfinite(p.detach().numpy()).all())
                           for p in self.model.parameters())
        grads = []
        for m in linears:
            gw = m.weight.grad
            grads.append(_round(gw.numpy() if gw is not None else np.zeros(m.weight.shape), 6))
        return {
            "type": "frame",
            "epoch": self.epoch,
            "steps": self.steps,
            "partial": self.partial,
            "diverged": diverged,
            **stats,
            "output": quantize(grid_out.reshape(g, g)),
            "neurons": neurons,
            "weights": [_round(m.weight.detach().numpy()) for m in linears],
            "biases": [_round(m.bias.detach().numpy()) for m in linears],
            "grads": grads,
        }

    def data(self) -> dict[str, Any]:
        """The points for the page: ``train`` and ``test`` as ``[x1, x2, target]`` rows, and
        the grid's geometry."""
        rows = np.concatenate([self.points, self.targets[:, None]], axis=1)
        return {
            "type": "data",
            "settings": self.settings.to_dict(),
            "train": _round(rows[:self.n_train], 4),
            "test": _round(rows[self.n_train:], 4),
            "domain": DOMAIN,
            "grid": self.grid,
            "neuron_grid": self.neuron_grid,
        }

    def model_bytes(self) -> bytes:
        """The model's ``state_dict`` as a lightgrad (safetensors) file, in memory."""
        buf = io.BytesIO()
        lightgrad.save(self.model.state_dict(), buf)
        return buf.getvalue()
