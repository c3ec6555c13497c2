"""Linear regression as one neuron: identity activation, squared-error loss, gradient descent.

    y_hat = w . x + b,      J(w, b) = 1/n * sum_i (y_i - y_hat_i)^2

Data comes from known parameters plus a little noise; full-batch gradient descent,
theta <- theta - alpha * grad J(theta), recovers them.

Run: ``python examples/linear_regression.py`` or ``lightgrad examples linear_regression``.
"""

from __future__ import annotations

import lightgrad

TRUE_W = [2.0, -3.4]
TRUE_B = 4.2
N_SAMPLES = 500
NOISE = 0.01
LEARNING_RATE = 0.1
STEPS = 300


def main() -> dict:
    lightgrad.manual_seed(0)
    x = lightgrad.randn(N_SAMPLES, 2)  # (n, 2)
    y = x @ lightgrad.tensor(TRUE_W) + TRUE_B + NOISE * lightgrad.randn(N_SAMPLES)  # (n,)

    w = lightgrad.zeros(2, requires_grad=True)
    b = lightgrad.zeros((), requires_grad=True)
    for step in range(STEPS):
        y_hat = x @ w + b  # forward: the neuron's weighted sum, identity activation
        loss = ((y_hat - y) ** 2).mean()  # mean squared error
        loss.backward()  # dJ/dw and dJ/db into w.grad and b.grad
        with lightgrad.no_grad():
            w -= LEARNING_RATE * w.grad
            b -= LEARNING_RATE * b.grad
        w.grad = None
        b.grad = None
        if step % 100 == 0:
            print(f"step {step:3d}  mse {loss.item():.6f}")

    w_learned = w.tolist()
    b_learned = b.item()
    mse = loss.item()
    w_error = max(abs(a - t) for a, t in zip(w_learned, TRUE_W))
    b_error = abs(b_learned - TRUE_B)
    print(f"learned w = {[round(v, 4) for v in w_learned]} (true {TRUE_W}), "
          f"b = {b_learned:.4f} (true {TRUE_B}), final mse {mse:.2e}")
    assert w_error < 0.01 and b_error < 0.01, f"not recovered: w {w_learned}, b {b_learned}"
    assert mse < 2 * NOISE**2, f"mse {mse} is above the noise floor {NOISE**2}"
    return {"mse": mse, "w_error": w_error, "b_error": b_error}


if __name__ == "__main__":
    main()
