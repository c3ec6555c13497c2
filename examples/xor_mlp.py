"""XOR with a two-layer network, trained by the course's training-loop pseudo-code, line by line.

XOR is not linearly separable, so no single neuron learns it; one hidden layer does:

    h = tanh(x W1 + b1),    y_hat = sigmoid(h W2 + b2),    error = (y_hat - y)^2

The loop below follows the numbered pseudo-code of the course's "Basic Neural Network Training
Loop" literally: per-sample forward and backward passes whose gradients accumulate over a
minibatch (``backward()`` *adds* into ``.grad``), then one update with the averaged gradient

    W = W - learning_rate * (1 / minibatch_size) * sum(gradients)

Run: ``python examples/xor_mlp.py`` or ``lightgrad examples xor_mlp``.
"""

from __future__ import annotations

import lightgrad

# Inputs of the loop
NUM_EPOCHS = 1000
MINIBATCH_SIZE = 2
LEARNING_RATE = 1.0
HIDDEN = 4

X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
Y = [[0.0], [1.0], [1.0], [0.0]]  # XOR


def forward(x: lightgrad.Tensor, params: list[lightgrad.Tensor]) -> lightgrad.Tensor:
    w1, b1, w2, b2 = params
    h = (x @ w1 + b1).tanh()  # (HIDDEN,) hidden layer
    return (h @ w2 + b2).sigmoid()  # (1,) output neuron: probability that XOR(x) = 1


def main() -> dict:
    lightgrad.manual_seed(0)
    data_x, data_y = lightgrad.tensor(X), lightgrad.tensor(Y)
    n = len(X)

    # 1. Initialize network parameters (weights and biases)
    params = [
        lightgrad.randn(2, HIDDEN).requires_grad_(),  # W1 (2, HIDDEN)
        lightgrad.zeros(HIDDEN, requires_grad=True),  # b1 (HIDDEN,)
        lightgrad.randn(HIDDEN, 1).requires_grad_(),  # W2 (HIDDEN, 1)
        lightgrad.zeros(1, requires_grad=True),  # b2 (1,)
    ]
    # 2. for epoch in range(number of epochs):
    for epoch in range(NUM_EPOCHS):
        # 3. Shuffle the dataset
        order = lightgrad.randperm(n).tolist()
        epoch_error = 0.0
        # 4. for minibatch in dataset.split(minibatch_size):
        for start in range(0, n, MINIBATCH_SIZE):
            minibatch = order[start:start + MINIBATCH_SIZE]
            # 5. Initialize gradients to zero
            for p in params:
                p.grad = lightgrad.zeros_like(p)
            # 6. for sample in minibatch:
            for i in minibatch:
                # 7. Perform forward propagation to compute output
                output = forward(data_x[i], params)
                # 8. Compute the error between predicted output and actual output
                error = ((output - data_y[i]) ** 2).sum()
                # 9. Perform backward propagation to compute gradients
                # 10. Accumulate gradients for the minibatch: backward() adds into p.grad
                error.backward()
                epoch_error += error.item()
            # 11. Update network parameters using accumulated gradients:
            #     W = W - learning_rate * (1/minibatch_size) * sum(gradients)
            with lightgrad.no_grad():
                for p in params:
                    p -= LEARNING_RATE * (1 / len(minibatch)) * p.grad
        if epoch % 200 == 0:
            print(f"epoch {epoch:4d}  mean squared error {epoch_error / n:.4f}")

    with lightgrad.no_grad():
        outputs = [forward(data_x[i], params).item() for i in range(n)]
    predictions = [int(o >= 0.5) for o in outputs]
    targets = [int(t[0]) for t in Y]
    correct = sum(p == t for p, t in zip(predictions, targets))
    for x, o, t in zip(X, outputs, targets):
        print(f"XOR({int(x[0])}, {int(x[1])}) = {t}   network: {o:.3f}")
    assert correct == n, f"XOR not learned: outputs {outputs}"
    return {"correct": correct, "accuracy": correct / n, "error": epoch_error / n}


if __name__ == "__main__":
    main()
