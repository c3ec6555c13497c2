"""Logistic regression as one neuron: sigmoid activation, binary cross-entropy loss.

    p = sigmoid(w . x + b),     J = -1/n * sum_i [ y_i log p_i + (1 - y_i) log(1 - p_i) ]

The loss is written out with ``log`` (no fused helper) so every step is visible. ``p`` is clamped
to [EPS, 1 - EPS] first: a saturated sigmoid returns exactly 0 or 1 in floating point, and log(0)
would turn the loss and its gradient into inf / nan. The data: two gaussian blobs, one per class.

Run: ``python examples/logistic_regression.py`` or ``lightgrad examples logistic_regression``.
"""

from __future__ import annotations

import lightgrad

N_PER_CLASS = 200
CENTER = 1.5  # blobs at (-1.5, -1.5) and (1.5, 1.5), unit variance: about 2% overlap
EPS = 1e-6
LEARNING_RATE = 0.5
STEPS = 300


def make_blobs(n: int) -> tuple[lightgrad.Tensor, lightgrad.Tensor]:
    x0 = lightgrad.randn(n, 2) - CENTER  # class 0 around (-1.5, -1.5)
    x1 = lightgrad.randn(n, 2) + CENTER  # class 1 around (1.5, 1.5)
    x = lightgrad.cat([x0, x1])  # (2n, 2)
    y = lightgrad.cat([lightgrad.zeros(n), lightgrad.ones(n)])  # (2n,)
    return x, y


def binary_cross_entropy(p: lightgrad.Tensor, y: lightgrad.Tensor) -> lightgrad.Tensor:
    p = p.clamp(EPS, 1 - EPS)  # keep log() finite when the sigmoid saturates
    return -(y * p.log() + (1 - y) * (1 - p).log()).mean()


def main() -> dict:
    lightgrad.manual_seed(0)
    x, y = make_blobs(N_PER_CLASS)
    w = lightgrad.zeros(2, requires_grad=True)
    b = lightgrad.zeros((), requires_grad=True)

    for step in range(STEPS):
        p = (x @ w + b).sigmoid()  # forward: weighted sum, then sigmoid
        loss = binary_cross_entropy(p, y)
        loss.backward()
        with lightgrad.no_grad():
            w -= LEARNING_RATE * w.grad
            b -= LEARNING_RATE * b.grad
        w.grad = None
        b.grad = None
        if step % 100 == 0:
            print(f"step {step:3d}  loss {loss.item():.4f}")

    with lightgrad.no_grad():
        predictions = ((x @ w + b).sigmoid() >= 0.5).float()
        acc = (predictions == y).float().mean().item()
    print(f"final loss {loss.item():.4f}, training accuracy {acc:.3f}")
    assert acc > 0.9, f"logistic regression accuracy {acc} <= 0.9"
    return {"accuracy": acc, "loss": loss.item()}


if __name__ == "__main__":
    main()
