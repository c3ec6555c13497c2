"""Rosenblatt's perceptron: a single neuron with the step (Heaviside) activation.

    y_hat = step(w . x + b),    step(z) = 1 if z >= 0 else 0

The perceptron learning rule visits the samples one at a time and, on a mistake, moves the
separating line towards the misclassified point:

    w <- w + lr * (y - y_hat) * x,     b <- b + lr * (y - y_hat)

The step function has no useful derivative, but the rule *is* gradient descent on the perceptron
criterion  L = -(y - y_hat) * (w . x + b)  with y_hat held constant, so autograd reproduces it
exactly. On linearly separable data the perceptron convergence theorem guarantees that an epoch
without mistakes comes after finitely many updates: 100% training accuracy.

Run: ``python examples/perceptron.py`` or ``lightgrad examples perceptron``.
"""

from __future__ import annotations

import lightgrad

N_SAMPLES = 200
MARGIN = 0.1  # gap between the classes, so the data is linearly separable by construction
LEARNING_RATE = 1.0
MAX_EPOCHS = 100


def step(z: lightgrad.Tensor) -> lightgrad.Tensor:
    """The Heaviside step function H(z) = 1 if z >= 0 else 0, as floats."""
    return (z >= 0).float()


def make_data(n: int) -> tuple[lightgrad.Tensor, lightgrad.Tensor]:
    """Points on both sides of the line x1 - 2 x2 + 0.5 = 0, pushed MARGIN away from it."""
    w_true = lightgrad.tensor([1.0, -2.0])
    b_true = 0.5
    x = lightgrad.randn(n, 2) * 2.0  # (n, 2)
    side = (x @ w_true + b_true >= 0).float() * 2 - 1  # (n,): +1 or -1
    x = x + (side * MARGIN).reshape(-1, 1) * (w_true / (w_true**2).sum() ** 0.5)
    y = (side + 1) / 2  # labels 0 / 1, the step function's outputs
    return x, y


def accuracy(x: lightgrad.Tensor, y: lightgrad.Tensor, w: lightgrad.Tensor,
             b: lightgrad.Tensor) -> float:
    with lightgrad.no_grad():
        return (step(x @ w + b) == y).float().mean().item()


def main() -> dict:
    lightgrad.manual_seed(0)
    x, y = make_data(N_SAMPLES)
    w = lightgrad.zeros(2, requires_grad=True)
    b = lightgrad.zeros((), requires_grad=True)

    epochs = 0
    for epoch in range(1, MAX_EPOCHS + 1):
        mistakes = 0
        for i in range(N_SAMPLES):
            z = x[i] @ w + b  # the neuron's weighted sum
            y_hat = step(z).item()  # its decision: 0 or 1 (a constant: no gradient flows)
            error = y[i].item() - y_hat
            if error == 0:
                continue  # correct: the rule leaves w and b alone
            mistakes += 1
            loss = -error * z  # perceptron criterion: d loss / d w = -(y - y_hat) * x
            loss.backward()
            with lightgrad.no_grad():
                w -= LEARNING_RATE * w.grad  # = w + lr * (y - y_hat) * x
                b -= LEARNING_RATE * b.grad
            w.grad = None
            b.grad = None
        epochs = epoch
        if mistakes == 0:
            break

    acc = accuracy(x, y, w, b)
    print(f"perceptron: {epochs} epochs, training accuracy {acc:.3f}, "
          f"w = {[round(v, 3) for v in w.tolist()]}, b = {b.item():.3f}")
    assert acc == 1.0, f"perceptron did not separate the data: accuracy {acc}"
    return {"accuracy": acc, "epochs": epochs}


if __name__ == "__main__":
    main()
