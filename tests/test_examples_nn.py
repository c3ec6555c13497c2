"""The nn examples (XOR, two spirals, digits) reach their targets, save their pictures, and run
from the ``lightgrad`` command.

Each example asserts its own target; these tests check the returned metrics against the same
targets independently, so an example that stopped asserting would still be caught.
"""

import struct
import subprocess
import sys

import numpy as np
import pytest

import lightgrad
from lightgrad import cli

ROOT = cli.examples_dir().parent
NN_EXAMPLES = ("xor_nn", "spiral", "digits_mlp")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

pytest.importorskip("matplotlib")
pytest.importorskip("sklearn")


def load(name):
    return cli.load_example(name)


def check_png(path, width=500, height=500):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR" and struct.unpack(">II", data[16:24]) == (width, height)
    assert 20_000 < len(data) < 2_000_000  # a real picture: background, boundary, points


def test_xor_nn_learns_xor_and_draws_it(tmp_path):
    m = load("xor_nn").main(out_dir=tmp_path)
    assert m["truth_table"] == 4
    assert m["accuracy"] >= 0.95 and m["train_accuracy"] >= 0.95
    assert m["loss"] < 0.15
    assert m["png"] == str(tmp_path / "xor_boundary.png")
    check_png(tmp_path / "xor_boundary.png")


def test_spiral_reaches_95_percent_and_draws_its_boundary(tmp_path):
    m = load("spiral").main(out_dir=tmp_path)
    assert m["accuracy"] >= 0.95 and m["train_accuracy"] >= 0.95
    assert m["loss"] < 0.15
    check_png(tmp_path / "spiral_boundary.png")


def test_digits_mlp_reaches_95_percent_on_held_out_images():
    m = load("digits_mlp").main()
    assert m["accuracy"] >= 0.95
    assert m["train"] == 1437 and m["test"] == 360
    assert m["train_accuracy"] >= m["accuracy"] - 0.05  # no sign of a broken split


def test_the_examples_are_seeded():
    ex = load("xor_nn")
    X, y = ex.make_xor(n=100, seed=0)
    runs = []
    for _ in range(2):
        lightgrad.manual_seed(0)
        runs.append(ex.train(ex.build_model(), X, y, steps=20, log_every=0))
    assert runs[0] == runs[1]


@pytest.mark.torch
def test_xor_training_follows_pytorch_step_for_step():
    """The example's loop (Linear/Tanh/BCEWithLogitsLoss/SGD with momentum) gives PyTorch's loss
    curve when both start from the same weights."""
    import torch

    ex = load("xor_nn")
    X, y = ex.make_xor(n=200, seed=3)
    model = ex.build_model()
    reference = torch.nn.Sequential(torch.nn.Linear(2, ex.HIDDEN), torch.nn.Tanh(),
                                    torch.nn.Linear(ex.HIDDEN, 1))
    reference.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy())
                               for k, v in model.state_dict().items()})
    ours = ex.train(model, X, y, steps=60, log_every=0)

    opt = torch.optim.SGD(reference.parameters(), lr=ex.LEARNING_RATE, momentum=ex.MOMENTUM)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    inputs, targets = torch.from_numpy(X), torch.from_numpy(y).float().unsqueeze(1)
    theirs = []
    for _ in range(60):
        opt.zero_grad()
        loss = loss_fn(reference(inputs), targets)
        loss.backward()
        opt.step()
        theirs.append(loss.item())
    # float32 over 60 steps of a momentum optimizer: the trajectory tolerance of TESTING.md
    np.testing.assert_allclose(ours, theirs, rtol=1e-3, atol=1e-5)
    for k, v in reference.state_dict().items():
        np.testing.assert_allclose(model.state_dict()[k].detach().numpy(), v.numpy(),
                                   rtol=1e-3, atol=1e-4)


def test_the_command_lists_and_runs_them(tmp_path, monkeypatch, capsys):
    assert set(NN_EXAMPLES) <= set(cli.available_examples())
    monkeypatch.setenv("LIGHTGRAD_EXAMPLES_OUT", str(tmp_path))
    assert cli.main(["examples", "xor_nn"]) == 0
    out = capsys.readouterr().out
    assert "ok  xor_nn" in out and "truth_table=4" in out and "1 passed, 0 failed" in out
    check_png(tmp_path / "xor_boundary.png")


def test_xor_nn_runs_as_a_script_and_writes_where_asked(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "examples" / "xor_nn.py"), "--out",
                        str(tmp_path)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "truth table 4/4" in r.stdout
    assert f"decision boundary saved to {tmp_path / 'xor_boundary.png'}" in r.stdout
    check_png(tmp_path / "xor_boundary.png")
