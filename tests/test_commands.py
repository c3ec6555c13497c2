"""The train / evaluate / predict / summary commands, end to end (lightgrad.commands)."""

import argparse
import json
import subprocess
import sys

import numpy as np
import pytest

from lightgrad import commands, datasets


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The default `lightgrad train` (no options), run once in a fresh folder."""
    folder = tmp_path_factory.mktemp("cwd")
    import os

    cwd = os.getcwd()
    os.chdir(folder)
    try:
        import contextlib
        import io

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            rc = commands.main(["train"])
    finally:
        os.chdir(cwd)
    return folder / commands.DEFAULT_OUT, rc, out.getvalue()


def test_default_train_writes_model_plots_and_summary(run):
    out, rc, text = run
    assert rc == 0
    assert "spiral (2-D, 2 classes): 1200 train / 400 validation / 400 test" in text
    assert "test accuracy:" in text
    files = {p.name for p in out.iterdir()}
    assert {"model.keras", "summary.json"} <= files
    if commands._has_matplotlib():
        assert {"history.png", "boundary.png"} <= files
        assert (out / "history.png").read_bytes()[:4] == b"\x89PNG"
    report = json.loads((out / "summary.json").read_text())
    assert report["dataset"]["name"] == "spiral" and report["dataset"]["split"]["test"] == 400
    assert report["model"]["hidden"] == [64, 64] and report["model"]["parameters"] == 4482
    assert report["training"]["epochs"] == 20 and report["training"]["optimizer"] == "adam"
    assert len(report["history"]["loss"]) == 20 and len(report["history"]["val_accuracy"]) == 20
    assert report["test"]["accuracy"] >= 0.95  # the default model learns the spirals
    assert f"test accuracy: {report['test']['accuracy']:.4f}" in text


def test_evaluate_reuses_the_training_split(run, capsys):
    out, _, _ = run
    report = json.loads((out / "summary.json").read_text())
    metrics = commands.evaluate(out / "model.keras")
    assert metrics["accuracy"] == pytest.approx(report["test"]["accuracy"])
    assert metrics["loss"] == pytest.approx(report["test"]["loss"], rel=1e-6)
    assert commands.main(["evaluate", str(out / "model.keras"), "--dataset", "circle"]) == 0
    text = capsys.readouterr().out
    assert "circle test split (200 samples)" in text and "accuracy:" in text


def test_predict_from_npy_and_csv(run, tmp_path, capsys):
    out, _, _ = run
    model = out / "model.keras"
    points = np.array([[0.0, 0.0], [2.0, -1.0], [-3.0, 1.5]], np.float32)
    np.save(tmp_path / "pts.npy", points)
    (tmp_path / "pts.csv").write_text("x,y\n0,0\n2,-1\n-3,1.5\n")
    assert commands.main(["predict", str(model), str(tmp_path / "pts.npy")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "class,p0,p1" and len(lines) == 4
    probs = np.array([[float(v) for v in line.split(",")[1:]] for line in lines[1:]])
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    classes = commands.predict(model, tmp_path / "pts.csv", classes=True)
    assert classes.tolist() == [int(line.split(",")[0]) for line in lines[1:]]
    assert commands.main(["predict", str(model), str(tmp_path / "pts.csv"), "-o",
                          str(tmp_path / "pred.npy")]) == 0
    np.testing.assert_allclose(np.load(tmp_path / "pred.npy"), probs, atol=1e-6)
    commands.predict(model, tmp_path / "pts.npy", output=str(tmp_path / "pred.csv"))
    assert (tmp_path / "pred.csv").read_text().splitlines()[0] == "class,p0,p1"
    np.save(tmp_path / "wide.npy", np.zeros((2, 3), np.float32))
    assert commands.main(["predict", str(model), str(tmp_path / "wide.npy")]) == 2
    assert "expects inputs of shape (N, 2)" in capsys.readouterr().err
    np.save(tmp_path / "obj.npy", np.array(["a", "b"]))
    assert commands.main(["predict", str(model), str(tmp_path / "obj.npy")]) == 2
    assert "expected numbers" in capsys.readouterr().err


def test_summary(run, capsys):
    out, _, _ = run
    assert commands.main(["summary", str(out / "model.keras")]) == 0
    text = capsys.readouterr().out
    assert "saved by lightgrad" in text
    assert "4,482" in text and "(None, 64)" in text
    assert "Compiled: optimizer Adam(learning_rate=0.01)" in text and "trained 760 steps" in text


def test_other_datasets_models_and_optimizers(tmp_path, capsys, monkeypatch):
    rc = commands.main(["train", "--dataset", "plane", "--epochs", "2", "--model", "8",
                        "--optimizer", "sgd", "--lr", "0.05", "--verbose", "0", "--no-plots",
                        "--out", str(tmp_path / "reg"), "--samples", "200", "--seed", "3"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "plane (2-D, regression)" in text and "test MSE:" in text
    report = json.loads((tmp_path / "reg" / "summary.json").read_text())
    assert set(report["test"]) == {"loss", "mae"} and report["dataset"]["samples"] == 200
    assert {p.name for p in (tmp_path / "reg").iterdir()} == {"model.keras", "summary.json"}
    monkeypatch.setattr(commands, "_has_matplotlib", lambda: False)
    report = commands.train("moons", hidden="linear", epochs=1, optimizer="rmsprop",
                            out=tmp_path / "lin", verbose=0)
    assert "matplotlib is not installed: no plots" in capsys.readouterr().out
    assert set(report["files"]) == {"model", "summary"}
    assert report["model"]["hidden"] == [] and report["model"]["parameters"] == 6
    # labelled data files for evaluate
    data = commands.load_dataset("moons", seed=0)
    np.savez(tmp_path / "d.npz", x=data.x_test, y=data.y_test)
    m = commands.evaluate(tmp_path / "lin" / "model.keras", data_file=str(tmp_path / "d.npz"))
    assert m == pytest.approx(commands.evaluate(tmp_path / "lin" / "model.keras"))
    table = np.concatenate([data.x_test, data.y_test[:, None]], axis=1)
    np.savetxt(tmp_path / "d.csv", table, delimiter=",")
    m2 = commands.evaluate(tmp_path / "lin" / "model.keras", data_file=str(tmp_path / "d.csv"))
    assert m2["accuracy"] == pytest.approx(m["accuracy"])


def test_load_dataset_splits():
    d = commands.load_dataset("circle", samples=100, seed=1)
    assert d.sizes() == {"train": 60, "validation": 20, "test": 20}
    assert d.x_train.dtype == np.float32 and d.y_train.dtype == np.int64 and d.n_classes == 2
    both = np.concatenate([d.x_train, d.x_val, d.x_test])
    assert len(np.unique(both, axis=0)) == 100  # a partition
    again = commands.load_dataset("circle", samples=100, seed=1)
    np.testing.assert_array_equal(again.x_test, d.x_test)
    assert commands.parse_hidden("mlp:16,8") == [16, 8] and commands.parse_hidden("") == []


def test_errors(tmp_path, capsys, monkeypatch):
    with pytest.raises(SystemExit) as e:
        commands.main(["train", "--dataset", "nope"])
    assert e.value.code == 2
    assert commands.main(["train", "--model", "a,b", "--out", str(tmp_path)]) == 2
    assert "--model" in capsys.readouterr().err
    assert commands.main(["train", "--lr", "-1", "--out", str(tmp_path)]) == 2
    assert commands.main(["evaluate", str(tmp_path / "missing.keras")]) == 2
    assert "no such file" in capsys.readouterr().err
    (tmp_path / "bad.keras").write_bytes(b"not a zip")
    assert commands.main(["summary", str(tmp_path / "bad.keras")]) == 2
    assert "not a .keras file" in capsys.readouterr().err

    def unavailable(*a, **k):
        raise ModuleNotFoundError("load_digits: scikit-learn is not installed: pip install "
                                  "scikit-learn")

    monkeypatch.setattr(datasets, "load_digits", unavailable)
    assert commands.main(["train", "--dataset", "digits", "--out", str(tmp_path)]) == 2
    assert "pip install scikit-learn" in capsys.readouterr().err
    assert commands.main([]) == 2


def test_add_subparsers_and_module_entry_point():
    parser = argparse.ArgumentParser(prog="lightgrad")
    sub = parser.add_subparsers(dest="command")
    commands.add_subparsers(sub)
    args = parser.parse_args(["train", "--epochs", "3", "--batch-size", "8"])
    assert args.func is commands.cmd_train and args.epochs == 3 and args.batch_size == 8
    assert args.dataset == "spiral" and args.out == commands.DEFAULT_OUT
    args = parser.parse_args(["predict", "m.keras", "x.csv", "--classes"])
    assert args.func is commands.cmd_predict and args.classes
    proc = subprocess.run([sys.executable, "-m", "lightgrad.commands", "train", "--help"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "--batch-size" in proc.stdout and "spiral" in proc.stdout
