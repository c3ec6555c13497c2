"""Decision grids (NumPy only) and decision-boundary PNGs (matplotlib)."""

import struct
import sys

import numpy as np
import pytest

import lightgrad
from lightgrad import nn
from lightgrad.viz import DecisionGrid, decision_grid, plot_decision_boundary, predict_proba

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class Affine(nn.Module):
    """A tiny model ``x @ W.T + b`` built from a Module and Parameters only."""

    def __init__(self, weight, bias, dtype=None):
        super().__init__()
        self.weight = nn.Parameter(lightgrad.tensor(weight, dtype=dtype))
        self.bias = nn.Parameter(lightgrad.tensor(bias, dtype=dtype))
        self.seen = []

    def forward(self, x):
        self.seen.append((x.dtype, x.requires_grad, self.training, lightgrad.is_grad_enabled()))
        return x @ self.weight.T + self.bias


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# ----------------------------------------------------------------------------- decision_grid
def test_grid_of_a_single_logit_model():
    model = Affine([[2.0, -1.0]], [0.5])
    g = decision_grid(model, (-1.0, 2.0), (-3.0, 1.0), resolution=7)
    assert isinstance(g, DecisionGrid)
    np.testing.assert_allclose(g.xs, np.linspace(-1, 2, 7))
    np.testing.assert_allclose(g.ys, np.linspace(-3, 1, 7))
    assert g.probs.shape == (7, 7, 2)
    # probs[i, j] is the point (xs[j], ys[i])
    logit = 2 * g.xs[None, :] - g.ys[:, None] + 0.5
    np.testing.assert_allclose(g.probs[..., 1], sigmoid(logit), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(g.probs.sum(-1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(g.labels, (logit > 0).astype(np.int64))
    assert g.labels.dtype == np.int64


def test_grid_runs_the_model_in_eval_mode_without_grad_and_restores_it():
    model = Affine([[1.0, 1.0]], [0.0])
    assert model.training
    decision_grid(model, (0, 1), (0, 1), resolution=2)
    assert model.seen == [(lightgrad.float32, False, False, False)]
    assert model.training and lightgrad.is_grad_enabled()
    model.eval()
    decision_grid(model, (0, 1), (0, 1), resolution=2)
    assert not model.training  # an eval-mode model stays in eval mode


def test_grid_feeds_the_model_its_own_dtype():
    model = Affine([[1.0, 1.0]], [0.0], dtype=lightgrad.float64)
    decision_grid(model, (0, 1), (0, 1), resolution=3)
    assert model.seen[0][0] == lightgrad.float64


def test_grid_of_a_multiclass_model_is_a_softmax():
    w = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])
    model = Affine(w, [0.0, 0.1, 0.2])
    g = decision_grid(model, (-2, 2), (-2, 2), resolution=5)
    assert g.probs.shape == (5, 5, 3)
    gx, gy = np.meshgrid(g.xs, g.ys)
    scores = np.stack([gx, gy + 0.1, -gx - gy + 0.2], axis=-1)
    expected = np.exp(scores) / np.exp(scores).sum(-1, keepdims=True)
    np.testing.assert_allclose(g.probs, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(g.labels, scores.argmax(-1))


def test_grid_of_a_probability_model_and_of_a_plain_numpy_callable():
    step = lambda p: (np.asarray(p)[:, 0] > 0.25).astype(np.float64)  # a perceptron's output
    g = decision_grid(step, (0, 1), (0, 1), resolution=5, output="probs")
    np.testing.assert_array_equal(g.probs[..., 1], np.tile([0, 0, 1, 1, 1], (5, 1)))
    two = lambda p: np.stack([1 - np.asarray(p)[:, 1], np.asarray(p)[:, 1]], axis=1)
    g = decision_grid(two, (0, 1), (0, 1), resolution=3, output="probs")
    np.testing.assert_allclose(g.probs[..., 1], np.tile([[0.0], [0.5], [1.0]], (1, 3)))


def test_large_logits_do_not_overflow():
    model = Affine([[1000.0, 0.0]], [0.0])
    with np.errstate(all="raise"):
        g = decision_grid(model, (-1, 1), (-1, 1), resolution=3)
    np.testing.assert_array_equal(g.probs[1, :, 1], [0.0, 0.5, 1.0])


def test_grids_bigger_than_one_chunk_are_evaluated_in_pieces():
    model = Affine([[1.0, -1.0]], [0.0])
    g = decision_grid(model, (-1, 1), (-1, 1), resolution=300)  # 90,000 points
    assert len(model.seen) == 2
    np.testing.assert_array_equal(g.labels, (g.xs[None, :] > g.ys[:, None]).astype(np.int64))


@pytest.mark.parametrize("kwargs, match", [
    ({"resolution": 1}, r"resolution must be an int >= 2"),
    ({"resolution": 2.5}, r"resolution must be an int >= 2"),
    ({"xlim": (1, 1)}, r"xlim must be \(low, high\) with low < high"),
    ({"ylim": (2, -2)}, r"ylim must be \(low, high\)"),
    ({"xlim": (0, float("nan"))}, r"xlim must be"),
    ({"output": "labels"}, r"output must be 'logits' or 'probs'"),
])
def test_bad_grid_arguments(kwargs, match):
    args = {"xlim": (0, 1), "ylim": (0, 1), "resolution": 4, **kwargs}
    with pytest.raises(ValueError, match=match):
        decision_grid(Affine([[1.0, 1.0]], [0.0]), **args)


def test_a_model_output_of_the_wrong_shape_is_reported():
    with pytest.raises(ValueError, match=r"output for 4 points has shape \(4, 2, 2\)"):
        decision_grid(lambda p: np.zeros((len(p), 2, 2)), (0, 1), (0, 1), resolution=2)
    with pytest.raises(ValueError, match=r"output for 4 points has shape \(3,\)"):
        decision_grid(lambda p: np.zeros(3), (0, 1), (0, 1), resolution=2)


def test_predict_proba_on_data_points():
    X = np.array([[0.0, 0.0], [1.0, 0.0]], dtype=np.float32)
    p = predict_proba(Affine([[3.0, 0.0]], [-1.0]), lightgrad.from_numpy(X))
    np.testing.assert_allclose(p[:, 1], sigmoid(np.array([-1.0, 2.0])), rtol=1e-6)
    with pytest.raises(ValueError, match=r"X must be \(N, D\) points"):
        predict_proba(Affine([[3.0, 0.0]], [-1.0]), np.zeros(3))


# ----------------------------------------------------------------------------- the picture
mpl = pytest.importorskip("matplotlib")


def data_for_a_vertical_boundary():
    rng = np.random.default_rng(0)
    X = rng.uniform(-3, 3, (200, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    y[:5] = 1 - y[:5]  # five points on the wrong side
    return X, y


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_the_png_is_written_and_shows_two_coloured_halves(tmp_path):
    from matplotlib.image import imread

    X, y = data_for_a_vertical_boundary()
    model = Affine([[4.0, 0.0]], [0.0])  # class 1 where x > 0
    path = tmp_path / "sub" / "boundary.png"
    fig = plot_decision_boundary(model, X, y, path=path, resolution=100, figsize=(4, 3), dpi=80)
    data = path.read_bytes()
    assert png_size(data) == (320, 240)
    assert 5_000 < len(data) < 1_000_000
    assert data.rstrip(b"\x00")[-8:-4] == b"IEND"
    # the background left of the boundary is the orange class-0 colour, right of it blue
    ax = fig.axes[0]
    img = imread(path)[..., :3]
    def background(x):  # median colour along a vertical line outside the data's range
        pixels = []
        for yv in np.linspace(-2.5, 2.5, 11):
            px, py = ax.transData.transform((x, yv))
            pixels.append(img[img.shape[0] - 1 - int(round(py)), int(round(px))])
        return np.median(pixels, axis=0)

    assert ax.get_xlim()[0] < -3.5 and ax.get_xlim()[1] > 3.5
    left, right = background(-3.45), background(3.45)
    assert left[0] > left[2] + 0.2  # orange: more red than blue
    assert right[2] > right[0] + 0.2  # blue
    assert "accuracy 97.5%, 5 misclassified" in ax.get_title()


def test_misclassified_points_are_drawn_larger():
    X, y = data_for_a_vertical_boundary()
    fig = plot_decision_boundary(Affine([[4.0, 0.0]], [0.0]), X, y)
    sizes = []
    for coll in fig.axes[0].collections:
        offsets = coll.get_offsets()
        if len(offsets) and hasattr(coll, "get_sizes") and len(coll.get_sizes()):
            sizes.extend([float(coll.get_sizes()[0])] * len(offsets))
    sizes = np.array(sizes)
    assert len(sizes) == len(X)
    assert (sizes == sizes.max()).sum() == 5 and sizes.max() > 3 * sizes.min()


def test_draws_on_a_given_axes_and_handles_three_classes(tmp_path):
    from matplotlib.figure import Figure

    fig = Figure()
    axes = fig.subplots(1, 2)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(90, 2)).astype(np.float32)
    model = Affine([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]], [0.0, 0.0, 0.0])
    y = predict_proba(model, X).argmax(1)
    out = plot_decision_boundary(model, X, y, ax=axes[1], resolution=50, title="three")
    assert out is fig
    assert axes[1].get_title().startswith("three\naccuracy 100.0%")
    assert not axes[0].has_data()
    fig.savefig(tmp_path / "three.png")
    assert (tmp_path / "three.png").read_bytes()[:8] == PNG_SIGNATURE


def test_accepts_tensors_for_the_data():
    X, y = data_for_a_vertical_boundary()
    fig = plot_decision_boundary(Affine([[4.0, 0.0]], [0.0]), lightgrad.from_numpy(X),
                                 lightgrad.from_numpy(y), resolution=20)
    assert "5 misclassified" in fig.axes[0].get_title()


@pytest.mark.parametrize("X, y, match", [
    (np.zeros((4, 3)), np.zeros(4, np.int64), r"X must be \(N, 2\) points, got shape \(4, 3\)"),
    (np.zeros((4, 2)), np.zeros(3, np.int64), r"y must be \(N,\) = \(4,\) integer classes"),
    (np.zeros((4, 2)), np.zeros(4), r"y must be .* dtype float64"),
])
def test_bad_data_is_reported(X, y, match):
    with pytest.raises(ValueError, match=match):
        plot_decision_boundary(Affine([[1.0, 0.0]], [0.0]), X, y)


def test_without_matplotlib_the_error_says_how_to_install_it(monkeypatch):
    for mod in ("matplotlib", "matplotlib.figure", "matplotlib.colors",
                "matplotlib.backends", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, mod, None)  # makes `import` raise ImportError
    X, y = data_for_a_vertical_boundary()
    with pytest.raises(ImportError, match=r"pip install lightgrad\[examples\]"):
        plot_decision_boundary(Affine([[1.0, 0.0]], [0.0]), X, y)
    # the grid itself needs no matplotlib
    assert decision_grid(Affine([[1.0, 0.0]], [0.0]), (0, 1), (0, 1), 2).probs.shape == (2, 2, 2)
