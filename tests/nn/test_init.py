"""nn.init against torch.nn.init: fans and gains exactly; random initializers by their
distribution (bounds, mean and std against the formulas, and a two-sample Kolmogorov-Smirnov
test against torch's own samples on the same shape); deterministic fills exactly; in-place
semantics, generators and errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import lightgrad
from lightgrad.nn import init
from tests.helpers import check_raises

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")


# ----------------------------------------------------------------------------- statistics
def ks_statistic(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov distance sup |F_a - F_b|."""
    a, b = np.sort(a.ravel()), np.sort(b.ravel())
    grid = np.concatenate([a, b])
    fa = np.searchsorted(a, grid, side="right") / a.size
    fb = np.searchsorted(b, grid, side="right") / b.size
    return float(np.abs(fa - fb).max())


def assert_same_distribution(a: np.ndarray, b: np.ndarray, what: str) -> None:
    """KS test at significance 1e-6 (seeds are fixed, so this never flakes)."""
    n, m = a.size, b.size
    crit = math.sqrt(-0.5 * math.log(1e-6 / 2)) * math.sqrt((n + m) / (n * m))
    d = ks_statistic(a, b)
    assert d < crit, f"{what}: KS distance {d:.4f} >= {crit:.4f} (lightgrad vs torch)"


def assert_moments(x: np.ndarray, mean: float, std: float, kurtosis: float, what: str) -> None:
    """Sample mean and std within 5 standard errors of the formulas."""
    n = x.size
    x = x.astype(np.float64)
    se_mean = std / math.sqrt(n)
    assert abs(x.mean() - mean) < 5 * se_mean + 1e-12, f"{what}: mean {x.mean()} != {mean}"
    se_std = std * math.sqrt((kurtosis - 1) / (4 * n))
    assert abs(x.std() - std) < 5 * se_std, f"{what}: std {x.std()} != {std}"


def uniform_law(lo, hi):
    return dict(mean=(lo + hi) / 2, std=(hi - lo) / math.sqrt(12), kurtosis=1.8, lo=lo, hi=hi)


def normal_law(mean, std):
    return dict(mean=mean, std=std, kurtosis=3.0, lo=None, hi=None)


def _phi(x):
    return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _cdf(x):
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def trunc_normal_law(mu, sigma, a, b):
    al, be = (a - mu) / sigma, (b - mu) / sigma
    z = _cdf(be) - _cdf(al)
    d = (_phi(al) - _phi(be)) / z
    var = sigma ** 2 * (1 + (al * _phi(al) - be * _phi(be)) / z - d * d)
    # the kurtosis of a truncated normal is at most 3; 3 gives a conservative bound
    return dict(mean=mu + sigma * d, std=math.sqrt(var), kurtosis=3.0, lo=a, hi=b)


def _gain(nl, a=None):
    return init.calculate_gain(nl, a)


# Each row: id, shape, call(lib_init, tensor), the law lightgrad's samples must follow.
# The same call runs on torch.nn.init for the two-sample comparison.
RANDOM_ROWS = [
    ("uniform_default", (300, 200), lambda I, w: I.uniform_(w), uniform_law(0.0, 1.0)),
    ("uniform_ab", (300, 200), lambda I, w: I.uniform_(w, a=-2.0, b=3.0),
     uniform_law(-2.0, 3.0)),
    ("normal_default", (300, 200), lambda I, w: I.normal_(w), normal_law(0.0, 1.0)),
    ("normal_mean_std", (300, 200), lambda I, w: I.normal_(w, mean=1.0, std=0.5),
     normal_law(1.0, 0.5)),
    ("xavier_uniform", (300, 200), lambda I, w: I.xavier_uniform_(w),
     uniform_law(-math.sqrt(6 / 500), math.sqrt(6 / 500))),
    ("xavier_uniform_gain_conv", (64, 32, 3, 3),
     lambda I, w: I.xavier_uniform_(w, gain=I.calculate_gain("relu")),
     uniform_law(-math.sqrt(2) * math.sqrt(6 / (9 * 96)), math.sqrt(2) * math.sqrt(6 / (9 * 96)))),
    ("xavier_normal", (300, 200), lambda I, w: I.xavier_normal_(w),
     normal_law(0.0, math.sqrt(2 / 500))),
    ("xavier_normal_conv1d_gain", (40, 20, 5), lambda I, w: I.xavier_normal_(w, gain=5 / 3),
     normal_law(0.0, 5 / 3 * math.sqrt(2 / 300))),
    ("kaiming_uniform_default", (400, 250), lambda I, w: I.kaiming_uniform_(w),
     uniform_law(-math.sqrt(3) * _gain("leaky_relu", 0) / math.sqrt(250),
                 math.sqrt(3) * _gain("leaky_relu", 0) / math.sqrt(250))),
    ("kaiming_uniform_linear_default", (400, 250),
     lambda I, w: I.kaiming_uniform_(w, a=math.sqrt(5)),
     uniform_law(-1 / math.sqrt(250), 1 / math.sqrt(250))),
    ("kaiming_uniform_fan_out_relu_conv", (32, 16, 3, 3),
     lambda I, w: I.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu"),
     uniform_law(-math.sqrt(6 / (32 * 9)), math.sqrt(6 / (32 * 9)))),
    ("kaiming_normal_default", (400, 250), lambda I, w: I.kaiming_normal_(w),
     normal_law(0.0, _gain("leaky_relu", 0) / math.sqrt(250))),
    ("kaiming_normal_fan_out_relu", (400, 250),
     lambda I, w: I.kaiming_normal_(w, mode="fan_out", nonlinearity="relu"),
     normal_law(0.0, math.sqrt(2 / 400))),
    ("kaiming_normal_leaky_a", (64, 16, 5, 5),
     lambda I, w: I.kaiming_normal_(w, a=0.2, mode="FAN_IN"),
     normal_law(0.0, _gain("leaky_relu", 0.2) / math.sqrt(400))),
    ("kaiming_normal_selu_tanh", (200, 300),
     lambda I, w: I.kaiming_normal_(w, nonlinearity="tanh"),
     normal_law(0.0, 5 / 3 / math.sqrt(300))),
    ("trunc_normal_default", (300, 200), lambda I, w: I.trunc_normal_(w),
     trunc_normal_law(0.0, 1.0, -2.0, 2.0)),
    ("trunc_normal_vit", (300, 200),
     lambda I, w: I.trunc_normal_(w, mean=0.0, std=0.02, a=-0.04, b=0.04),
     trunc_normal_law(0.0, 0.02, -0.04, 0.04)),
    # little mass inside [a, b]: the uniform-proposal path (torch's is slow: a smaller tensor)
    ("trunc_normal_tail", (100, 100),
     lambda I, w: I.trunc_normal_(w, mean=0.0, std=1.0, a=1.0, b=3.0),
     trunc_normal_law(0.0, 1.0, 1.0, 3.0)),
    ("trunc_normal_offset", (300, 200),
     lambda I, w: I.trunc_normal_(w, mean=0.5, std=2.0, a=-1.0, b=4.0),
     trunc_normal_law(0.5, 2.0, -1.0, 4.0)),
]


@pytest.mark.parametrize("row", RANDOM_ROWS, ids=[r[0] for r in RANDOM_ROWS])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_random_init_distribution(row, dtype):
    name, shape, call, law = row
    w = lightgrad.empty(*shape, dtype=dtype)
    out = call(init, w)
    assert out is w and w.dtype == dtype
    x = w.numpy()
    assert np.isfinite(x).all()
    assert_moments(x, law["mean"], law["std"], law["kurtosis"], name)
    if law["lo"] is not None:
        lo, hi = law["lo"], law["hi"]
        span = hi - lo
        assert x.min() >= np.asarray(lo, dtype) and x.max() <= np.asarray(hi, dtype), name
        # the samples reach the bounds (within 1% of the range, for 10^4+ samples)
        assert x.min() < lo + 0.01 * span and x.max() > hi - 0.01 * span, name
    torch.manual_seed(0)
    tw = torch.empty(*shape, dtype=torch.float32 if dtype == np.float32 else torch.float64)
    call(torch.nn.init, tw)
    assert_same_distribution(x, tw.numpy(), name)


# ----------------------------------------------------------------------------- fans and gains
@pytest.mark.parametrize("shape", [(3, 4), (16, 3, 3, 3), (8, 4, 5), (2, 3, 4, 5, 6), (7, 1),
                                   (0, 5), (4, 0, 3)])
def test_fan_in_and_fan_out_match_torch(shape):
    ours = init._calculate_fan_in_and_fan_out(lightgrad.empty(*shape))
    assert ours == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))


@pytest.mark.parametrize("shape", [(), (5,)])
def test_fans_need_two_dims(shape):
    check_raises(lambda lib, w: lib.nn.init._calculate_fan_in_and_fan_out(w),
                 [np.zeros(shape)], match="fewer than 2 dimensions", exc=ValueError)


@pytest.mark.parametrize("nl", ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                                "conv_transpose2d", "conv_transpose3d", "sigmoid", "tanh",
                                "relu", "leaky_relu", "selu"])
def test_calculate_gain_matches_torch(nl):
    assert init.calculate_gain(nl) == torch.nn.init.calculate_gain(nl)


@pytest.mark.parametrize("param", [None, 0, 1, 0.2, math.sqrt(5), -3.0])
def test_leaky_relu_gain_matches_torch(param):
    assert init.calculate_gain("leaky_relu", param) == \
        pytest.approx(torch.nn.init.calculate_gain("leaky_relu", param), rel=1e-15)


@pytest.mark.parametrize("args", [("gelu",), ("leaky_relu", "x"), ("leaky_relu", True)])
def test_calculate_gain_errors(args):
    with pytest.raises(ValueError):
        torch.nn.init.calculate_gain(*args)
    with pytest.raises(ValueError, match="nonlinearity|negative_slope"):
        init.calculate_gain(*args)


# ----------------------------------------------------------------------------- exact fills
DETERMINISTIC_ROWS = [
    ("constant", (3, 4), lambda I, w: I.constant_(w, 0.3)),
    ("constant_int_tensor", (5,), lambda I, w: I.constant_(w, 7)),
    ("zeros", (2, 3, 4), lambda I, w: I.zeros_(w)),
    ("ones", (2, 3, 4), lambda I, w: I.ones_(w)),
    ("ones_0d", (), lambda I, w: I.ones_(w)),
    ("eye_wide", (3, 5), lambda I, w: I.eye_(w)),
    ("eye_tall", (5, 3), lambda I, w: I.eye_(w)),
    ("dirac_1d", (4, 3, 5), lambda I, w: I.dirac_(w)),
    ("dirac_2d", (3, 4, 3, 3), lambda I, w: I.dirac_(w)),
    ("dirac_3d", (4, 4, 3, 2, 3), lambda I, w: I.dirac_(w)),
    ("dirac_groups", (6, 2, 3, 3), lambda I, w: I.dirac_(w, groups=3)),
    ("dirac_groups_wide", (4, 5, 3), lambda I, w: I.dirac_(w, 2)),
]


@pytest.mark.parametrize("row", DETERMINISTIC_ROWS, ids=[r[0] for r in DETERMINISTIC_ROWS])
def test_deterministic_fills_match_torch(row, rng):
    name, shape, call = row
    if name == "constant_int_tensor":
        base = rng.integers(-5, 5, shape)
    else:
        base = rng.standard_normal(shape)
    w = lightgrad.tensor(base)
    tw = torch.tensor(base)
    assert call(init, w) is w
    call(torch.nn.init, tw)
    assert w.dtype == tw.numpy().dtype
    np.testing.assert_array_equal(w.numpy(), tw.numpy())


# ----------------------------------------------------------------------------- orthogonal
@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4), (6, 2, 2, 2), (2, 3, 4)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_orthogonal_is_semi_orthogonal(shape, dtype):
    w = init.orthogonal_(lightgrad.empty(*shape, dtype=dtype), gain=2.0)
    m = w.numpy().reshape(shape[0], -1).astype(np.float64)
    rows, cols = m.shape
    gram = m @ m.T if rows <= cols else m.T @ m
    atol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(gram, 4.0 * np.eye(min(rows, cols)), atol=atol)


def test_orthogonal_is_haar_distributed_like_torch():
    """Without the sign fix of QR, w[0, 0] would be one-signed; with it, the entries of a
    Haar-random 4x4 orthogonal matrix have mean 0 and variance 1/4."""
    n = 1500
    g = lightgrad.Generator().manual_seed(0)
    ours = np.stack([init.orthogonal_(lightgrad.empty(4, 4, dtype=lightgrad.float64),
                                      generator=g).numpy() for _ in range(n)])
    torch.manual_seed(0)
    theirs = np.stack([torch.nn.init.orthogonal_(torch.empty(4, 4, dtype=torch.float64)).numpy()
                       for _ in range(n)])
    for idx in [(0, 0), (1, 2), (3, 3)]:
        x = ours[(slice(None),) + idx]
        assert abs(x.mean()) < 5 * 0.5 / math.sqrt(n), f"entry {idx} mean {x.mean()}"
        assert abs(x.var() - 0.25) < 0.05, f"entry {idx} variance {x.var()}"
        assert_same_distribution(x, theirs[(slice(None),) + idx], f"orthogonal entry {idx}")
    # the leading principal entry is not biased by the QR convention
    assert 0.4 < (ours[:, 0, 0] > 0).mean() < 0.6


def test_orthogonal_empty_is_noop():
    w = lightgrad.empty(0, 3)
    assert init.orthogonal_(w) is w


# ----------------------------------------------------------------------------- sparse
def test_sparse_zeros_per_column_and_values():
    rows, cols, sparsity, std = 200, 300, 0.3, 0.05
    w = init.sparse_(lightgrad.empty(rows, cols), sparsity, std=std)
    x = w.numpy()
    zeros = (x == 0).sum(axis=0)
    assert (zeros == math.ceil(sparsity * rows)).all()
    nz = x[x != 0]
    assert_moments(nz, 0.0, std, 3.0, "sparse_ values")
    torch.manual_seed(0)
    tw = torch.nn.init.sparse_(torch.empty(rows, cols), sparsity, std=std)
    assert_same_distribution(x, tw.numpy(), "sparse_")
    # the zeros land on different rows in different columns
    assert len({tuple(np.flatnonzero(x[:, j] == 0)) for j in range(10)}) == 10


# ----------------------------------------------------------------------------- in place, rng
def test_initializers_work_in_place_on_parameters_without_recording():
    p = lightgrad.nn.Parameter(lightgrad.empty(6, 4))
    buf = p.data
    v = p._version
    for fn in (init.uniform_, init.normal_, init.xavier_uniform_, init.kaiming_normal_,
               init.orthogonal_, init.trunc_normal_, init.zeros_, init.eye_):
        assert fn(p) is p
    assert p.data is buf and p._version >= v + 8
    assert p.is_leaf and p.grad_fn is None and p.requires_grad


def test_init_writes_through_a_view():
    w = lightgrad.zeros(3, 5)
    init.ones_(w[:, 1:3])
    init.constant_(w.T[4], 2.0)
    expected = np.zeros((3, 5), np.float32)
    expected[:, 1:3] = 1
    expected[:, 4] = 2
    np.testing.assert_array_equal(w.numpy(), expected)


def test_in_place_init_invalidates_saved_tensors():
    """A tensor the graph saved and that an initializer then overwrote is caught at backward,
    as PyTorch's version counter does."""
    a = lightgrad.ones(3, requires_grad=True)
    b = a * 2.0
    c = (b * b).sum()
    init.zeros_(b)
    with pytest.raises(RuntimeError):
        c.backward()


@pytest.mark.parametrize("fn", [
    lambda w, g: init.uniform_(w, generator=g),
    lambda w, g: init.normal_(w, generator=g),
    lambda w, g: init.trunc_normal_(w, generator=g),
    lambda w, g: init.xavier_uniform_(w, generator=g),
    lambda w, g: init.xavier_normal_(w, generator=g),
    lambda w, g: init.kaiming_uniform_(w, generator=g),
    lambda w, g: init.kaiming_normal_(w, generator=g),
    lambda w, g: init.orthogonal_(w, generator=g),
    lambda w, g: init.sparse_(w, 0.5, generator=g),
])
def test_generator_and_manual_seed_reproduce(fn):
    def draw(seed):
        return fn(lightgrad.empty(8, 6), lightgrad.Generator().manual_seed(seed)).numpy()

    np.testing.assert_array_equal(draw(3), draw(3))
    assert not np.array_equal(draw(3), draw(4))
    lightgrad.manual_seed(11)
    a = fn(lightgrad.empty(8, 6), None).numpy()
    lightgrad.manual_seed(11)
    np.testing.assert_array_equal(a, fn(lightgrad.empty(8, 6), None).numpy())
    # a numpy Generator works too
    b = fn(lightgrad.empty(8, 6), np.random.default_rng(5)).numpy()
    np.testing.assert_array_equal(b, fn(lightgrad.empty(8, 6), np.random.default_rng(5)).numpy())


def test_generator_does_not_touch_global_stream():
    lightgrad.manual_seed(1)
    a = lightgrad.rand(3).numpy()
    lightgrad.manual_seed(1)
    init.normal_(lightgrad.empty(100), generator=lightgrad.Generator().manual_seed(0))
    np.testing.assert_array_equal(a, lightgrad.rand(3).numpy())


def test_bad_generator_type():
    with pytest.raises(TypeError, match="generator"):
        init.uniform_(lightgrad.empty(3), generator=42)


def test_kaiming_on_zero_element_tensor_warns_and_is_noop():
    for name in ("kaiming_uniform_", "kaiming_normal_"):
        with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
            getattr(torch.nn.init, name)(torch.empty(0, 3))
        with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
            w = getattr(init, name)(lightgrad.empty(0, 3))
        assert w.shape == (0, 3)


def test_trunc_normal_warns_when_mean_is_far():
    with pytest.warns(UserWarning, match="more than 2 std"):
        torch.nn.init.trunc_normal_(torch.empty(10), mean=10.0, std=1.0, a=-2.0, b=2.0)
    with pytest.warns(UserWarning, match="more than 2 std"):
        w = init.trunc_normal_(lightgrad.empty(1000), mean=10.0, std=1.0, a=-2.0, b=2.0)
    x = w.numpy()
    assert x.max() <= 2.0 and x.min() >= -2.0 and x.mean() > 1.0  # piled up at b


def test_deprecated_aliases_warn():
    for old in ("uniform", "normal", "xavier_uniform", "kaiming_normal", "orthogonal"):
        with pytest.warns(FutureWarning, match=f"nn.init.{old}_"):
            w = getattr(init, old)(lightgrad.empty(4, 4))
        assert np.isfinite(w.numpy()).all()
    with pytest.warns(FutureWarning):
        np.testing.assert_array_equal(init.constant(lightgrad.empty(2), 3.0).numpy(), [3, 3])


# ----------------------------------------------------------------------------- errors
def Init(name, *args, **kw):
    return lambda lib, w: getattr(lib.nn.init, name)(w, *args, **kw)


ERROR_ROWS = [
    ("eye_3d", Init("eye_"), (2, 3, 4), "2 dimensions", ValueError),
    ("eye_1d", Init("eye_"), (3,), "2 dimensions", ValueError),
    ("dirac_2d", Init("dirac_"), (3, 3), "3, 4, or 5 dimensions", ValueError),
    ("dirac_groups", Init("dirac_", groups=2), (3, 3, 3), "divisible by groups", ValueError),
    ("orthogonal_1d", Init("orthogonal_"), (4,), "2 or more dimensions", ValueError),
    ("sparse_3d", Init("sparse_", 0.1), (2, 3, 4), "2 dimensions", ValueError),
    ("kaiming_mode", Init("kaiming_uniform_", mode="fan_avg"), (3, 4), "fan_avg", ValueError),
    ("kaiming_nonlinearity", Init("kaiming_normal_", nonlinearity="swish"), (3, 4), "swish",
     ValueError),
    ("xavier_1d", Init("xavier_uniform_"), (4,), "fewer than 2", ValueError),
    ("uniform_range", Init("uniform_", 1.0, 0.0), (4,), "from=1.0 > to=0.0", RuntimeError),
    ("normal_std", Init("normal_", 0.0, -1.0), (4,), "std >= 0", RuntimeError),
]


@pytest.mark.parametrize("row", ERROR_ROWS, ids=[r[0] for r in ERROR_ROWS])
def test_errors_like_torch(row):
    _, fn, shape, match, exc = row
    check_raises(fn, [np.zeros(shape, np.float32)], match=match, exc=exc)


def test_random_init_of_integer_tensor_raises():
    check_raises(Init("uniform_"), [np.zeros(3, np.int64)], match="floating point")
    check_raises(Init("normal_"), [np.zeros(3, np.int64)], match="floating point")


def test_non_tensor_argument_raises():
    with pytest.raises(TypeError, match="Tensor"):
        init.zeros_(np.zeros(3))


def test_exports():
    for name in init.__all__:
        assert callable(getattr(init, name))
        assert hasattr(torch.nn.init, name), name
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        init.ones_(lightgrad.empty(1))
