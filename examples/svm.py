"""A linear support vector machine as one neuron: identity activation, hinge loss, L2 penalty.

    f(x) = w . x + b,    J(w, b) = 1/n * sum_i max(0, 1 - y_i f(x_i)) + lambda * ||w||^2

with labels y in {-1, +1}. The hinge loss is zero for points on the right side with a margin
(y f(x) >= 1) and grows linearly otherwise; the L2 term keeps ||w|| small, which widens the
margin 1 / ||w||: the SVM looks for the separating line farthest from both classes, where the
perceptron stops at any separating line. The hinge has a kink at 1; gradient descent uses the
subgradient that ``clamp`` gives (0 on the flat side).

Run: ``python examples/svm.py`` or ``lightgrad examples svm``.
"""

from __future__ import annotations

import lightgrad

N_SAMPLES = 200
MARGIN = 0.5  # each class lies at least this far from the true line: separable data
LAMBDA = 0.01
LEARNING_RATE = 0.1
STEPS = 500


def make_data(n: int) -> tuple[lightgrad.Tensor, lightgrad.Tensor]:
    """Points on both sides of the line 2 x1 + x2 - 1 = 0, pushed MARGIN away from it."""
    w_true = lightgrad.tensor([2.0, 1.0])
    b_true = -1.0
    x = lightgrad.randn(n, 2) * 2.0  # (n, 2)
    y = (x @ w_true + b_true >= 0).float() * 2 - 1  # (n,): labels +1 / -1
    x = x + (y * MARGIN).reshape(-1, 1) * (w_true / (w_true**2).sum() ** 0.5)
    return x, y


def main() -> dict:
    lightgrad.manual_seed(0)
    x, y = make_data(N_SAMPLES)
    w = lightgrad.zeros(2, requires_grad=True)
    b = lightgrad.zeros((), requires_grad=True)

    for step in range(STEPS):
        f = x @ w + b  # (n,) decision values
        hinge = (1 - y * f).clamp(min=0).mean()  # max(0, 1 - y f(x)), averaged
        loss = hinge + LAMBDA * (w**2).sum()
        loss.backward()
        with lightgrad.no_grad():
            w -= LEARNING_RATE * w.grad
            b -= LEARNING_RATE * b.grad
        w.grad = None
        b.grad = None
        if step % 100 == 0:
            print(f"step {step:3d}  loss {loss.item():.4f}")

    with lightgrad.no_grad():
        f = x @ w + b
        acc = ((f >= 0).float() * 2 - 1 == y).float().mean().item()
        norm = ((w**2).sum() ** 0.5).item()
        # distance from the learned line to the closest training point
        margin = (y * f).min().item() / norm
    print(f"final loss {loss.item():.4f}, training accuracy {acc:.3f}, "
          f"geometric margin {margin:.3f} (data built with {MARGIN})")
    assert acc == 1.0, f"SVM did not separate separable data: accuracy {acc}"
    return {"accuracy": acc, "loss": loss.item(), "margin": margin}


if __name__ == "__main__":
    main()
