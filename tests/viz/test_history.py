"""Training-history, activation and weight-histogram pictures (lightgrad.viz)."""

import sys

import numpy as np
import pytest

import lightgrad
from lightgrad import keras, nn, viz

matplotlib = pytest.importorskip("matplotlib")

PNG = b"\x89PNG\r\n\x1a\n"


def _history():
    r = np.random.default_rng(0)
    x = r.standard_normal((60, 3)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(4, activation="tanh"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model, model.fit(x, y, epochs=3, validation_split=0.25, verbose=0)


# ============================================================================ history
def test_history_series_groups_train_and_validation():
    s = viz.history_series({"accuracy": [0.5, 0.7], "val_loss": [1.1, 0.9], "loss": [1.0, 0.8],
                            "val_accuracy": [0.4, 0.6], "learning_rate": [0.1, 0.05]})
    assert list(s) == ["loss", "accuracy", "learning_rate"]
    assert s["loss"] == {"val": [1.1, 0.9], "train": [1.0, 0.8]}
    assert s["learning_rate"] == {"train": [0.1, 0.05]}
    with pytest.raises(ValueError, match="empty"):
        viz.history_series({})
    with pytest.raises(TypeError, match="History"):
        viz.history_series([1, 2])
    with pytest.raises(TypeError, match="not a list"):
        viz.history_series({"loss": 1.0})


def test_plot_history_from_fit(tmp_path):
    model, history = _history()
    fig = viz.plot_history(history, tmp_path / "sub" / "history.png", title="tiny")
    assert (tmp_path / "sub" / "history.png").read_bytes()[:8] == PNG
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["loss", "accuracy"]
    for ax in fig.axes:  # training and validation curves, 3 epochs each, plus the best mark
        labels = [line.get_label() for line in ax.get_lines()]
        assert labels[:2] == ["training", "validation"] and labels[2].startswith("best")
        assert list(ax.get_lines()[0].get_xdata()) == [1, 2, 3]
    loss_ax = fig.axes[0]
    np.testing.assert_allclose(loss_ax.get_lines()[1].get_ydata(),
                               history.history["val_loss"])
    best = int(np.argmin(history.history["val_loss"]))
    assert loss_ax.get_lines()[2].get_xdata()[0] == best + 1
    only = viz.plot_history(history.history, metrics=["accuracy"])
    assert [ax.get_title() for ax in only.axes] == ["accuracy"]
    with pytest.raises(ValueError, match="no \\['auc'\\]"):
        viz.plot_history(history, metrics=["auc"])


# ============================================================================ activations
def test_activation_derivatives_come_from_autograd():
    x = np.array([-2.0, -0.5, 0.7, 3.0])
    curves = viz.activation_curves(["sigmoid", "tanh", "relu", "softplus", "step"], x=x)
    _, s, ds = curves["sigmoid"]
    np.testing.assert_allclose(s, 1 / (1 + np.exp(-x)), rtol=1e-12)
    np.testing.assert_allclose(ds, s * (1 - s), rtol=1e-10)
    _, t, dt = curves["tanh"]
    np.testing.assert_allclose(dt, 1 - np.tanh(x) ** 2, rtol=1e-10)
    np.testing.assert_array_equal(curves["relu"][2], [0, 0, 1, 1])
    np.testing.assert_allclose(curves["softplus"][2], 1 / (1 + np.exp(-x)), rtol=1e-10)
    np.testing.assert_array_equal(curves["step"][1], [0, 0, 1, 1])
    np.testing.assert_array_equal(curves["step"][2], [0, 0, 0, 0])
    custom = viz.activation_curves([lambda v: v * v], x=x)
    (_, y2, dy2), = custom.values()
    np.testing.assert_allclose(dy2, 2 * x)
    with pytest.raises(ValueError, match="not elementwise"):
        viz.activation_curves(["softmax"])
    with pytest.raises(ValueError, match="Unknown activation"):
        viz.activation_curves(["nope"])


def test_plot_activations_png(tmp_path):
    fig = viz.plot_activations(["relu", "gelu", "sigmoid"], tmp_path / "act.png")
    assert (tmp_path / "act.png").read_bytes()[:8] == PNG
    assert [ax.get_title() for ax in fig.axes] == ["relu", "gelu", "sigmoid"]
    assert len(viz.plot_activations().axes) == len(viz.DEFAULT_ACTIVATIONS)
    with pytest.raises(ValueError, match="x_range"):
        viz.plot_activations(["relu"], x_range=(1, -1))


# ============================================================================ histograms
def test_weight_histograms_of_modules_and_keras_models(tmp_path):
    lightgrad.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 2))
    arrays = viz.weight_arrays(net)
    assert [(layer, p, a.size) for layer, p, a in arrays] == [
        ("0", "weight", 15), ("0", "bias", 5), ("2", "weight", 10), ("2", "bias", 2)]
    np.testing.assert_array_equal(arrays[0][2], net[0].weight.detach().numpy().ravel())
    with pytest.raises(ValueError, match="no gradient"):
        viz.plot_weight_histograms(net, gradients=True)
    net(lightgrad.randn(4, 3)).sum().backward()
    fig = viz.plot_weight_histograms(net, tmp_path / "w.png", gradients=True)
    assert (tmp_path / "w.png").read_bytes()[:8] == PNG
    assert len(fig.axes) == 8 and fig.axes[1].get_title().startswith("grad 0.weight")
    model, _ = _history()
    fig = viz.plot_weight_histograms(model, gradients=True)  # fit leaves the last gradients
    assert len(fig.axes) == 8
    with pytest.raises(ValueError, match="no parameters"):
        viz.weight_arrays(nn.ReLU())
    with pytest.raises(TypeError, match="module"):
        viz.weight_arrays(object())


def test_clear_import_error_without_matplotlib(monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    for draw in (lambda: viz.plot_history({"loss": [1.0]}),
                 lambda: viz.plot_activations(["relu"]),
                 lambda: viz.plot_weight_histograms(nn.Linear(2, 2))):
        with pytest.raises(ImportError, match=r"pip install lightgrad\[examples\]"):
            draw()
    # the NumPy-only helpers still work
    assert viz.history_series({"loss": [1.0]}) == {"loss": {"train": [1.0]}}
