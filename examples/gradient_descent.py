"""Gradient descent on f(x) = x**2, the course's Exercise 5.1, with autograd doing the derivative.

The update rule is  x_{t+1} = x_t - alpha * f'(x_t).  Starting from x_0 = 9 with alpha = 0.1 the
course works out by hand (f'(x) = 2x, so each step multiplies x by 0.8):

    x_1 = 7.2,  x_2 = 5.76,  x_3 = 4.608

Here ``backward()`` computes f'(x_t) instead of the hand-written gradient; we check it equals 2x,
reproduce the three iterates, then keep going until x has converged to the minimum at 0.

Run: ``python examples/gradient_descent.py`` or ``lightgrad examples gradient_descent``.
"""

from __future__ import annotations

import lightgrad

X0 = 9.0
LEARNING_RATE = 0.1
COURSE_ITERATES = (7.2, 5.76, 4.608)  # x_1, x_2, x_3 from the exercise
TOLERANCE = 1e-6  # stop when |x| is this close to the minimum


def f(x: lightgrad.Tensor) -> lightgrad.Tensor:
    """The cost function f(x) = x^2."""
    return x**2


def main(max_steps: int = 1000) -> dict:
    # float64 so the iterates match the hand computation to ~1e-15 (float32 would give 7.1999998)
    x = lightgrad.tensor(X0, dtype=lightgrad.float64, requires_grad=True)
    iterates = []
    for _ in range(max_steps):
        loss = f(x)
        loss.backward()  # x.grad = f'(x) = 2x
        assert abs(x.grad.item() - 2 * x.item()) < 1e-12, "autograd disagrees with f'(x) = 2x"
        with lightgrad.no_grad():  # the update itself is not part of the graph
            x -= LEARNING_RATE * x.grad
        x.grad = None  # gradients accumulate: clear them before the next backward()
        iterates.append(x.item())
        if abs(x.item()) < TOLERANCE:
            break

    for t, (got, want) in enumerate(zip(iterates, COURSE_ITERATES), start=1):
        print(f"x_{t} = {got:.6f}   (course: {want})")
        assert abs(got - want) < 1e-9, f"x_{t} = {got}, the course says {want}"
    print(f"converged to x = {iterates[-1]:.2e} after {len(iterates)} steps")
    assert abs(iterates[-1]) < TOLERANCE, f"did not converge: x = {iterates[-1]}"
    return {"x1": iterates[0], "x2": iterates[1], "x3": iterates[2], "x_final": iterates[-1],
            "steps": len(iterates)}


if __name__ == "__main__":
    main()
