"""Vanishing and exploding gradients in recurrent networks, measured.

**Vanishing.** Backpropagation through time multiplies the gradient by the recurrent Jacobian
once per step. For a tanh RNN that is ``W_hh^T diag(1 - h_t^2)``, whose norm is below 1 at
PyTorch's initialization, so the gradient of a loss on the *last* hidden state with respect to
the input ``x_t`` shrinks geometrically with the distance ``T - t``. An LSTM carries its cell state
additively, ``c_t = f_t * c_{t-1} + i_t * g_t``: the gradient flowing back through the cell is
only multiplied by the forget gate ``f_t``, so it survives as far as the forget gates stay open.
At PyTorch's initialization ``f_t = sigmoid(~0) ~ 0.5`` and it still fades; with the forget-gate
bias set to 1 (Keras's default, ``unit_forget_bias=True``; Jozefowicz et al., 2015) it fades far
more slowly, and with a bias of 3 hardly at all.

For a batch of 32 random sequences of 100 steps (8 features, 64 hidden units, float64 so that
nothing underflows), the loss ``||h_T||^2`` is differentiated and ``||dL/dx_t||`` (batch mean) is
reported for every step ``t`` and plotted on a log scale.

**Exploding.** A ReLU RNN whose recurrent matrix starts as the identity (the "IRNN" of Le et al.,
2015) is trained with plain SGD to predict the next value of 100-step sine waves. Its first
gradients have norms in the thousands: one SGD step sends the weights flying and the loss to
NaN. The same run with ``nn.utils.clip_grad_norm_(params, 1.0)``, which rescales the whole
gradient to norm <= 1 when it is larger (its direction kept), trains: the loss jumps about
for some twenty steps, then falls from 1.65 to 0.33 in 200 steps. ``vanishing_gradients.png``
shows both: the gradient per time step (left) and the two runs' losses (right).

Run: ``python examples/vanishing_gradients.py [--quick] [--out DIR]`` or ``lightgrad examples
vanishing_gradients`` (the plot then goes to ``$LIGHTGRAD_EXAMPLES_OUT`` or a temporary folder;
matplotlib draws it, skipped without it).
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import tempfile
from pathlib import Path

import numpy as np

import lightgrad
from lightgrad import nn, optim
from lightgrad.datasets import make_sine_sequences

STEPS, BATCH, FEATURES, HIDDEN = 100, 32, 8, 64
FORGET_BIASES = (0.0, 1.0, 3.0)  # 0 = PyTorch's initialization (b ~ U(-1/8, 1/8))
TRAIN_STEPS = 200
LEARNING_RATE = 0.01
CLIP = 1.0


def output_dir(out_dir: str | os.PathLike[str] | None = None) -> Path:
    """Where pictures go: ``out_dir``, else ``$LIGHTGRAD_EXAMPLES_OUT``, else a temp folder."""
    chosen = out_dir or os.environ.get("LIGHTGRAD_EXAMPLES_OUT")
    path = Path(chosen) if chosen else Path(tempfile.gettempdir()) / "lightgrad-examples"
    path.mkdir(parents=True, exist_ok=True)
    return path


def input_gradient_norms(model: nn.Module, x: np.ndarray) -> np.ndarray:
    """``mean_n ||dL/dx[n, t]||`` for each step t, with ``L = ||h_T||^2``."""
    inputs = lightgrad.from_numpy(x).requires_grad_()
    out, _ = model(inputs)  # (N, T, H)
    out[:, -1].pow(2).sum().backward()
    return np.linalg.norm(inputs.grad.numpy(), axis=2).mean(0)  # (T,)


def lstm_with_forget_bias(bias: float) -> nn.LSTM:
    lstm = nn.LSTM(FEATURES, HIDDEN, batch_first=True, dtype=lightgrad.float64)
    if bias:
        with lightgrad.no_grad():  # gate order i, f, g, o: the forget gate is rows H..2H
            lstm.bias_ih_l0[HIDDEN:2 * HIDDEN].fill_(bias)
            lstm.bias_hh_l0[HIDDEN:2 * HIDDEN].fill_(0.0)
    return lstm


def vanishing(steps: int) -> dict[str, np.ndarray]:
    x = np.random.default_rng(0).standard_normal((BATCH, steps, FEATURES))
    curves = {"tanh RNN": input_gradient_norms(
        nn.RNN(FEATURES, HIDDEN, batch_first=True, dtype=lightgrad.float64), x)}
    for b in FORGET_BIASES:
        label = "LSTM (PyTorch init)" if b == 0 else f"LSTM, forget bias {b:g}"
        curves[label] = input_gradient_norms(lstm_with_forget_bias(b), x)
    return curves


def train_irnn(clip: float | None, steps: int) -> dict:
    """SGD on next-value prediction with an identity-initialized ReLU RNN."""
    lightgrad.manual_seed(1)
    X, y = make_sine_sequences(256, STEPS, seed=0)
    X, y = lightgrad.from_numpy(X), lightgrad.from_numpy(y)
    rnn = nn.RNN(1, 32, batch_first=True, nonlinearity="relu")
    head = nn.Linear(32, 1)
    with lightgrad.no_grad():
        rnn.weight_hh_l0.copy_(lightgrad.eye(32))
    params = [*rnn.parameters(), *head.parameters()]
    optimizer = optim.SGD(params, lr=LEARNING_RATE)
    losses, norms = [], []
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging run overflows, on purpose
        for _ in range(steps):
            optimizer.zero_grad()
            out, _ = rnn(X)  # (256, 100, 32)
            loss = (head(out[:, -1]) - y).pow(2).mean()
            losses.append(loss.item())
            if not math.isfinite(losses[-1]):
                break  # diverged
            loss.backward()
            norm = nn.utils.clip_grad_norm_(params, clip if clip is not None else math.inf)
            norms.append(norm.item())
            optimizer.step()
    return {"losses": losses, "max_grad_norm": max(norms),
            "diverged": not math.isfinite(losses[-1])}


def plot(curves: dict[str, np.ndarray], runs: dict[str, dict], path: Path) -> Path | None:
    """Left: the gradient reaching each input. Right: the IRNN's training loss per SGD step,
    with and without clipping (a diverged run's curve stops at its NaN)."""
    if importlib.util.find_spec("matplotlib") is None:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    for label, g in curves.items():
        ax.semilogy(np.arange(len(g)), np.maximum(g, 1e-300), label=label)
    ax.set_xlabel("time step t (the loss is on the last hidden state)")
    ax.set_ylabel("||dL / dx_t||")
    ax.set_title(f"Vanishing: gradient reaching each input over {len(g)} steps")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend()
    for label, r in runs.items():
        losses = np.asarray(r["losses"], dtype=np.float64)
        finite = np.isfinite(losses)
        line, = ax2.semilogy(np.arange(len(losses))[finite], losses[finite], label=label,
                             marker="o" if finite.sum() < 10 else None)
        if not finite.all():
            ax2.annotate(f"NaN at step {len(losses) - 1}",
                         (int(finite.sum()) - 1, losses[finite][-1]),
                         color=line.get_color(), textcoords="offset points", xytext=(6, 0))
    ax2.set_xlabel("SGD step")
    ax2.set_ylabel("training loss (MSE)")
    ax2.set_title("Exploding: identity-initialized ReLU RNN, 100 steps")
    ax2.grid(True, which="major", alpha=0.3)
    ax2.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def main(quick: bool = False, out_dir: str | os.PathLike[str] | None = None) -> dict:
    """Measure the vanishing gradients, then the exploding ones with and without clipping.

    Args:
        quick: a smoke run (20-step sequences, 5 SGD steps; no targets).
        out_dir: folder for ``vanishing_gradients.png``.
    """
    lightgrad.manual_seed(0)
    steps = 20 if quick else STEPS
    curves = vanishing(steps)
    marks = sorted({0, steps // 4, steps // 2, 3 * steps // 4, steps - 1})
    print("||dL/dx_t|| at t = " + ", ".join(map(str, marks)))
    for label, g in curves.items():
        print(f"  {label:<22} " + "  ".join(f"{g[t]:9.2e}" for t in marks)
              + f"   first/last {g[0] / g[-1]:.1e}")

    n = 5 if quick else TRAIN_STEPS
    plain, clipped = train_irnn(None, n), train_irnn(CLIP, n)
    runs = {"no clipping": plain, f"clip_grad_norm_({CLIP})": clipped}
    for name, r in runs.items():
        end = "diverged (NaN)" if r["diverged"] else f"final loss {r['losses'][-1]:.4f}"
        print(f"IRNN, {name}: first loss {r['losses'][0]:.3f}, largest gradient norm "
              f"{r['max_grad_norm']:.3g} (before clipping), {end} after "
              f"{len(r['losses'])} steps")
    png = plot(curves, runs, output_dir(out_dir) / "vanishing_gradients.png")
    if png is not None:
        print(f"plot saved to {png}")

    rnn = curves["tanh RNN"]
    lstm1 = curves["LSTM, forget bias 1"]
    metrics = {
        "rnn_first_over_last": float(rnn[0] / rnn[-1]),
        "lstm_first_over_last": float(curves["LSTM (PyTorch init)"][0]
                                      / curves["LSTM (PyTorch init)"][-1]),
        "lstm_fb1_first_over_last": float(lstm1[0] / lstm1[-1]),
        "lstm_fb3_first_over_last": float(curves["LSTM, forget bias 3"][0]
                                          / curves["LSTM, forget bias 3"][-1]),
        "unclipped_diverged": plain["diverged"], "clipped_diverged": clipped["diverged"],
        "clipped_final_loss": clipped["losses"][-1],
        "max_grad_norm": max(plain["max_grad_norm"], clipped["max_grad_norm"]),
        "png": None if png is None else str(png),
    }
    if not quick:
        assert metrics["rnn_first_over_last"] < 1e-12, "the tanh RNN's gradient did not vanish"
        assert metrics["lstm_fb1_first_over_last"] > 1e6 * metrics["rnn_first_over_last"], \
            "the LSTM (forget bias 1) kept no more gradient than the RNN"
        assert metrics["lstm_fb3_first_over_last"] > 1e-3, "forget bias 3 should keep it"
        assert plain["diverged"], "without clipping the IRNN was expected to diverge"
        assert not clipped["diverged"] and clipped["losses"][-1] < 0.5, \
            f"with clipping the IRNN should train, final loss {clipped['losses'][-1]}"
    return metrics


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds' smoke run")
    parser.add_argument("--out", default=".", help="folder for the plot (default: .)")
    args = parser.parse_args()
    main(quick=args.quick, out_dir=args.out)
