"""Training sessions: they learn, they reproduce, their pictures are right, and the exported
script trains exactly the same way."""

import base64
import io
import re
import subprocess
import sys
import threading

import numpy as np
import pytest

import lightgrad
from lightgrad.playground import TrainingSession, export_script, parse_settings
from lightgrad.playground.session import (
    GRID,
    NEURON_GRID,
    build_model,
    feature_matrix,
    quantize,
)

SPIRAL = {"dataset": "spiral", "layers": [8, 8], "activation": "tanh", "optimizer": "adam",
          "features": ["x1", "x2", "sinx1", "sinx2"], "seed": 3}


def _bytes(b64, n):
    out = np.frombuffer(base64.b64decode(b64), dtype=np.uint8)
    assert out.shape == (n,)
    return out


def test_training_lowers_the_loss():
    s = TrainingSession(parse_settings(SPIRAL))
    before = s.evaluate()
    s.train_epochs(30)
    after = s.evaluate()
    assert s.epoch == 30
    assert after["train_loss"] < 0.5 * before["train_loss"]
    assert after["test_loss"] < 0.5 * before["test_loss"]
    assert after["test_accuracy"] > 0.9 > before["test_accuracy"]


def test_regression_and_zero_hidden_layers_learn():
    s = TrainingSession(parse_settings({"dataset": "plane", "layers": [], "lr": 0.01}))
    first = s.evaluate()["test_loss"]
    s.train_epochs(5)
    assert s.evaluate()["test_loss"] < 0.1 * first
    frame = s.frame()
    assert frame["neurons"] == [] and "test_accuracy" not in frame
    assert np.array(frame["weights"][0]).shape == (1, 2)


def test_same_seed_same_run_other_seed_other_run():
    def run(seed, **extra):
        s = TrainingSession(parse_settings({**SPIRAL, "seed": seed, "dropout": 0.2, **extra}))
        s.train_epochs(3)
        return s.frame()

    a, b, c = run(5), run(5), run(6)
    assert a == b
    assert a["weights"] != c["weights"] and a["test_loss"] != c["test_loss"]


def test_a_session_ignores_and_keeps_the_global_generator():
    settings = parse_settings({**SPIRAL, "dropout": 0.3})
    ref = TrainingSession(settings)
    ref.train_epochs(2)
    lightgrad.manual_seed(123)
    expected_next = lightgrad.rand(3).numpy()
    lightgrad.manual_seed(123)
    s = TrainingSession(settings)
    lightgrad.rand(5)  # other draws between the session's work change nothing
    s.train_epochs(1)
    lightgrad.rand(7)
    s.train_epochs(1)
    assert s.frame() == ref.frame()
    lightgrad.manual_seed(123)
    t = TrainingSession(settings)
    t.train_epochs(2)
    assert np.array_equal(lightgrad.rand(3).numpy(), expected_next)  # untouched


def test_sessions_in_threads_do_not_disturb_each_other():
    settings = [parse_settings({**SPIRAL, "seed": k, "dropout": 0.1}) for k in range(3)]
    expected = []
    for st in settings:
        s = TrainingSession(st)
        s.train_epochs(4)
        expected.append(s.frame())
    results = [None] * 3

    def work(k):
        s = TrainingSession(settings[k])
        for _ in range(4):
            s.train_epochs(1)
        results[k] = s.frame()

    threads = [threading.Thread(target=work, args=(k,)) for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == expected


def test_train_for_leaves_partial_epochs_that_step_completes():
    s = TrainingSession(parse_settings({"dataset": "circle", "points": 2000, "ratio": 90,
                                        "batch": 1}))
    s.train_for(0.0)  # at least one mini-batch
    assert s.epoch == 0 and s.steps == 1 and s.partial and s.frame()["partial"]
    s.finish_epoch()
    assert s.epoch == 1 and s.steps == 1800 and not s.partial
    s.finish_epoch()  # at a boundary: nothing to do
    assert s.steps == 1800
    ref = TrainingSession(s.settings)
    ref.train_epochs(1)
    assert ref.frame()["weights"] == s.frame()["weights"]


def test_train_for_stops_at_an_epoch_boundary_when_epochs_are_cheap():
    s = TrainingSession(parse_settings({"dataset": "gauss", "points": 100}))  # 5 batches
    s.train_for(0.01)
    assert s.epoch >= 1 and not s.partial and s.steps == 5 * s.epoch


def test_reset_restarts_from_the_same_weights():
    s = TrainingSession(parse_settings(SPIRAL))
    first = s.frame()
    s.train_epochs(2)
    assert s.frame()["weights"] != first["weights"]
    s.reset()
    assert s.epoch == 0 and s.frame() == first


def test_frame_contents():
    s = TrainingSession(parse_settings({**SPIRAL, "layers": [3, 5], "reg": "l1",
                                        "reg_rate": 0.001}))
    s.train_epochs(1)
    f = s.frame()
    out = _bytes(f["output"], GRID * GRID)
    assert out.min() < 128 < out.max()  # both classes somewhere on the plane
    assert [len(layer) for layer in f["neurons"]] == [3, 5]
    for layer in f["neurons"]:
        for b64 in layer:
            _bytes(b64, NEURON_GRID * NEURON_GRID)
    assert [np.array(w).shape for w in f["weights"]] == [(3, 4), (5, 3), (1, 5)]
    assert [np.array(g).shape for g in f["grads"]] == [(3, 4), (5, 3), (1, 5)]
    assert [len(b) for b in f["biases"]] == [3, 5, 1]
    assert np.abs(np.array(f["grads"][2])).sum() > 0
    n_test = len(s.points) - s.n_train
    assert abs(f["test_accuracy"] - (1 - len(f["wrong_test"]) / n_test)) < 1e-9
    assert all(0 <= i < n_test for i in f["wrong_test"])
    d = s.data()
    assert len(d["train"]) == s.n_train and len(d["test"]) == n_test
    assert d["settings"]["layers"] == [3, 5]


def test_output_heatmap_is_the_networks_output_on_the_grid():
    s = TrainingSession(parse_settings({"dataset": "xor", "layers": [4],
                                        "features": ["x1", "x2", "x1x2"]}))
    s.train_epochs(3)
    out = _bytes(s.frame()["output"], GRID * GRID).reshape(GRID, GRID)
    axis = np.linspace(-6, 6, GRID, dtype=np.float32)
    # top-left pixel is (x1, x2) = (-6, 6), bottom-right (6, -6)
    for r, c in [(0, 0), (0, GRID - 1), (GRID - 1, 0), (57, 13)]:
        point = np.array([[axis[c], axis[::-1][r]]], dtype=np.float32)
        with lightgrad.no_grad():
            s.model.eval()
            z = s.model(lightgrad.tensor(feature_matrix(point, s.settings.features))).item()
            s.model.train()
        expected = np.rint((np.tanh(z / 2) + 1) * 127.5)
        assert abs(int(out[r, c]) - expected) <= 1


def test_quantize_clips_and_handles_non_finite():
    q = np.frombuffer(base64.b64decode(quantize(np.array([-5, -1, 0, 1, 5, np.nan, np.inf]))),
                      np.uint8)
    assert q.tolist() == [0, 0, 128, 255, 255, 128, 255]


def test_model_file_loads_back():
    s = TrainingSession(parse_settings(SPIRAL))
    s.train_epochs(2)
    state = lightgrad.load(io.BytesIO(s.model_bytes()))
    model = build_model(s.settings)
    model.load_state_dict(state)
    x = lightgrad.tensor(feature_matrix(s.points[:5], s.settings.features))
    with lightgrad.no_grad():
        assert np.array_equal(model(x).numpy(), s.model(x).numpy())


@pytest.mark.parametrize("extra", [
    {},
    {"optimizer": "momentum", "reg": "l2", "reg_rate": 0.003, "dropout": 0.2},
    {"dataset": "multigauss", "optimizer": "rmsprop", "lr": 0.003, "reg": "l1",
     "reg_rate": 0.001, "activation": "relu", "features": ["x1", "x2", "x1sq", "x2sq", "x1x2"]},
    {"dataset": "circle", "layers": [], "optimizer": "sgd", "activation": "sigmoid",
     "batch": 7, "points": 130, "ratio": 30, "noise": 20},
])
def test_exported_script_trains_exactly_like_the_session(extra):
    settings = parse_settings({**SPIRAL, **extra})
    s = TrainingSession(settings)
    s.train_epochs(4)
    namespace = {"__name__": "exported"}
    exec(compile(export_script(settings, epochs=4), "exported.py", "exec"), namespace)
    metrics = namespace["main"](verbose=False)
    session = s.evaluate()
    assert metrics["epochs"] == 4
    for key in ("train_loss", "test_loss"):
        assert metrics[key] == pytest.approx(session[key], rel=1e-5, abs=1e-7)
    if settings.problem == "classification":
        assert metrics["test_accuracy"] == pytest.approx(session["test_accuracy"])


def test_exported_script_runs_as_a_program(tmp_path):
    settings = parse_settings(SPIRAL)
    path = tmp_path / "playground_spiral.py"
    path.write_text(export_script(settings, epochs=40))
    model_path = tmp_path / "model.safetensors"
    proc = subprocess.run([sys.executable, str(path), "--epochs", "25", "--save",
                           str(model_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    m = re.search(r"test_loss=([0-9.e-]+)", proc.stdout)
    assert m, proc.stdout
    s = TrainingSession(settings)
    s.train_epochs(25)
    assert float(m.group(1)) == pytest.approx(s.evaluate()["test_loss"], rel=1e-3)
    assert float(m.group(1)) < 0.3
    state = lightgrad.load(model_path)
    assert set(state) == set(s.model.state_dict())
