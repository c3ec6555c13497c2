"""lightgrad on a CUDA device: op parity with the CPU, training steps, data loading, state dicts.

Every device test runs on two devices: ``fake`` (the strict stand-in of
``tests/test_device_generic.py``: always, it proves the device code paths ask ``xp`` and keep
host and device data apart) and ``cuda`` (CuPy on a real GPU: only where
``lightgrad.cuda.is_available()``; ``make test-gpu``). On the fake a representative slice of the
op tables runs (CI time); on a GPU every row does. Results are compared with lightgrad on the CPU
(itself checked against PyTorch), at TESTING.md's tolerances times ``CUPY_FACTOR``.
"""

from __future__ import annotations

import importlib
import os
import zlib

import numpy as np
import pytest

import lightgrad
from lightgrad import backend, nn
from tests.helpers import CUPY_FACTOR, OpCase, _as_list, _cast_inputs, tol
from tests.test_device_generic import install

HAS_GPU = lightgrad.cuda.is_available()
OP_MODULES = ("activation", "arithmetic", "attention", "conv", "indexing", "inplace", "linalg",
              "movement", "pooling", "recurrent", "reduce", "resample", "unary")
#: rows that cannot run as "the same lambda with device inputs", and why
NOT_DEVICE_ROWS = {
    "setitem_only_value_grad": "the lambda writes into a CPU tensor it creates",
    "setitem_rows_of_a_buffer": "the lambda writes into a CPU tensor it creates",
    "masked_fill_0d": "the lambda makes a CPU mask (PyTorch also refuses a CPU mask here)",
    "copy_into_fresh": "the lambda copies into a CPU tensor it creates",
    "pad_packed_sequence": "lengths are a CPU tensor, as in PyTorch",
}
#: the fake device runs every FAKE_STRIDE-th row of each module (1: all of them)
FAKE_STRIDE = int(os.environ.get("LIGHTGRAD_FAKE_STRIDE", "7"))


def _cases() -> tuple[list[OpCase], list[OpCase]]:
    """(every row, the slice the fake device runs: every FAKE_STRIDE-th row of each module)."""
    every, fake = [], []
    for m in OP_MODULES:
        mod = importlib.import_module(f"tests.ops.test_{m}")
        rows = [c for name, v in vars(mod).items() if name != "GPU_CASES" and
                isinstance(v, list) and v and all(isinstance(c, OpCase) for c in v)
                for c in v if c.id not in NOT_DEVICE_ROWS]
        every.extend(rows)
        fake.extend(rows[::FAKE_STRIDE])
    return every, fake


CASES, FAKE_CASES = _cases()


@pytest.fixture(params=["fake", pytest.param("cuda", marks=[pytest.mark.gpu, pytest.mark.skipif(
    not HAS_GPU, reason="needs CuPy and a CUDA GPU (make test-gpu)")])])
def device(request):
    if request.param == "fake":
        with install():
            yield "fake"
    else:
        yield "cuda"


def _host(t: lightgrad.Tensor) -> np.ndarray:
    return backend.to_device(t.data, backend.CPU)


def _on(a: np.ndarray, rg: bool, dev: str) -> lightgrad.Tensor:
    t = lightgrad.from_numpy(a.copy()).to(dev)
    return t.requires_grad_(rg) if rg else t


def _compare(cpu, dev, rtol, atol, name):
    if isinstance(cpu, lightgrad.Tensor):
        assert isinstance(dev, lightgrad.Tensor), name
        assert dev.is_cuda, f"{name}: the output is on {dev.device}, not on the device"
        assert dev.dtype == cpu.dtype and dev.shape == cpu.shape, name
        np.testing.assert_allclose(_host(dev), _host(cpu), rtol=rtol, atol=atol, err_msg=name)
    elif isinstance(cpu, tuple | list):
        assert len(cpu) == len(dev), name
        for i, (a, b) in enumerate(zip(cpu, dev)):
            _compare(a, b, rtol, atol, f"{name}[{i}]")
    else:
        assert cpu == pytest.approx(dev, rel=rtol, abs=atol), name


def check_on_device(case: OpCase, dev: str) -> None:
    """``case.fn`` on device inputs gives the CPU's outputs (on the device) and gradients."""
    rng = np.random.default_rng(zlib.crc32(case.id.encode()))
    base = list(case.inputs(rng))
    floats = any(isinstance(a, np.ndarray) and a.dtype.kind == "f" for a in base)
    dt = case.dtypes[0] if floats else None
    arrays = _cast_inputs(base, dt) if dt is not None else base
    diff = [case.grad and isinstance(a, np.ndarray) and a.dtype.kind == "f" and
            i not in case.nondiff for i, a in enumerate(arrays)]
    cpu_in = [_on(a, d, "cpu") if isinstance(a, np.ndarray) else a for a, d in zip(arrays, diff)]
    dev_in = [_on(a, d, "cuda") if isinstance(a, np.ndarray) else a
              for a, d in zip(arrays, diff)]
    cpu_out = case.fn(lightgrad, *cpu_in)
    dev_out = case.fn(lightgrad, *dev_in)
    rtol, atol = case.tol or tol(case.kind, dt or np.float32)
    _compare(cpu_out, dev_out, rtol * CUPY_FACTOR, atol * CUPY_FACTOR, f"{case.id} forward")
    losses = []
    for co, do in zip(_as_list(cpu_out), _as_list(dev_out)):
        if isinstance(co, lightgrad.Tensor) and co.requires_grad:
            g = rng.standard_normal(tuple(co.shape)).astype(co.dtype)
            losses.append(((co * lightgrad.tensor(g)).sum(),
                           (do * lightgrad.tensor(g).cuda()).sum()))
    if not losses:
        return
    sum(c for c, _ in losses).backward()
    sum(d for _, d in losses).backward()
    rtol, atol = case.tol or tol("backward", dt or np.float32)
    for i, (c, d) in enumerate(zip(cpu_in, dev_in)):
        if diff[i] and c.grad is not None:
            assert d.grad is not None and d.grad.is_cuda, f"{case.id}: input {i} gradient"
            np.testing.assert_allclose(_host(d.grad), _host(c.grad), rtol=rtol * CUPY_FACTOR,
                                       atol=atol * CUPY_FACTOR,
                                       err_msg=f"{case.id} grad of input {i}")


@pytest.mark.torch
@pytest.mark.parametrize("case", FAKE_CASES, ids=lambda c: c.id)
def test_op_parity_on_the_fake_device(case):
    with install():
        check_on_device(case, "fake")


@pytest.mark.torch
@pytest.mark.gpu
@pytest.mark.skipif(not HAS_GPU, reason="needs CuPy and a CUDA GPU (make test-gpu)")
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_op_parity_on_cuda(case):
    check_on_device(case, "cuda")


def test_the_device_rows_cover_the_op_tables():
    assert len(CASES) > 1000 and len(FAKE_CASES) >= len(CASES) // FAKE_STRIDE
    assert {c.id for c in FAKE_CASES} <= {c.id for c in CASES}


# ----------------------------------------------------------------------------- creation
def test_creation_on_device(device):
    for t in (lightgrad.zeros(2, 3, device="cuda"), lightgrad.ones(2, device="cuda"),
              lightgrad.full((2,), 1.5, device="cuda"), lightgrad.arange(5, device="cuda"),
              lightgrad.eye(3, device="cuda"), lightgrad.linspace(0, 1, 4, device="cuda"),
              lightgrad.empty(2, device="cuda"), lightgrad.tensor([1, 2], device="cuda"),
              lightgrad.randn(3, device="cuda"), lightgrad.rand(3, device="cuda"),
              lightgrad.randint(0, 5, (3,), device="cuda"),
              lightgrad.zeros_like(lightgrad.ones(2).cuda())):
        assert t.is_cuda and str(t.device) == "cuda:0", t
    lightgrad.manual_seed(3)
    a = lightgrad.randn(4, 3, device="cuda")
    lightgrad.manual_seed(3)
    b = lightgrad.randn(4, 3)
    np.testing.assert_array_equal(_host(a), b.numpy())  # one seed, the same numbers
    p = lightgrad.full((2, 3), 0.5).cuda()
    for t in (lightgrad.bernoulli(p), lightgrad.multinomial(p, 2),
              lightgrad.normal(lightgrad.zeros(3).cuda(), 1.0),
              lightgrad.ones(3).cuda().uniform_(), lightgrad.ones(3).cuda().normal_()):
        assert t.is_cuda, t
    assert lightgrad.nn.functional.generate_square_subsequent_mask(3, device="cuda").is_cuda


# ----------------------------------------------------------------------------- training
def _mlp() -> nn.Module:
    lightgrad.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.0), nn.Linear(4 * 4 * 4, 16),
                         nn.LayerNorm(16), nn.GELU(), nn.Linear(16, 3))


def _train(model: nn.Module, dev: str, steps: int = 3) -> list[float]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 3, 8)
    opt = lightgrad.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(lightgrad.tensor(x).to(dev)),
                                           lightgrad.tensor(y).to(dev))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def test_module_to_cuda_trains_like_the_cpu(device):
    cpu_model, dev_model = _mlp(), _mlp().to("cuda")
    assert all(p.is_cuda for p in dev_model.parameters())
    assert all(b.is_cuda for b in dev_model.buffers())
    np.testing.assert_allclose(_train(dev_model, "cuda"), _train(cpu_model, "cpu"),
                               rtol=1e-4, atol=1e-5)
    for (n, p), q in zip(cpu_model.named_parameters(), dev_model.parameters()):
        np.testing.assert_allclose(_host(q), p.detach().numpy(), rtol=1e-4, atol=1e-5,
                                   err_msg=n)
        assert q.grad is not None and q.grad.is_cuda, n


def test_recurrent_and_embedding_step_on_device(device):
    def build():
        lightgrad.manual_seed(1)
        return nn.Embedding(20, 8), nn.LSTM(8, 6, batch_first=True), nn.Linear(6, 2)

    idx = np.random.default_rng(1).integers(0, 20, (4, 5))
    results = []
    for dev in ("cpu", "cuda"):
        emb, rnn, lin = (m.to(dev) for m in build())
        out, _ = rnn(emb(lightgrad.tensor(idx).to(dev)))
        loss = lin(out[:, -1]).pow(2).mean()
        loss.backward()
        results.append((loss.item(), _host(emb.weight.grad), _host(rnn.weight_ih_l0.grad)))
    for c, d in zip(*results):
        np.testing.assert_allclose(d, c, rtol=1e-4, atol=1e-6)


def test_dataloader_batches_move_to_the_device(device):
    from lightgrad.utils.data import DataLoader, TensorDataset

    x = lightgrad.randn(10, 3)
    y = lightgrad.arange(10)
    seen = 0
    for xb, yb in DataLoader(TensorDataset(x, y), batch_size=4):
        xb, yb = xb.to("cuda"), yb.cuda()
        assert xb.is_cuda and yb.is_cuda
        np.testing.assert_array_equal(_host(xb), x.numpy()[_host(yb)])
        seen += len(yb)
    assert seen == 10
    dev_ds = TensorDataset(x.cuda(), y.cuda())  # a dataset already on the device
    xb, yb = next(iter(DataLoader(dev_ds, batch_size=3, shuffle=True)))
    assert xb.is_cuda and yb.is_cuda
    np.testing.assert_array_equal(_host(xb), x.numpy()[_host(yb)])


def test_state_dict_round_trip_and_save_load(device, tmp_path):
    model = _mlp().to("cuda")
    _train(model, "cuda", steps=1)
    sd = model.state_dict()
    assert all(v.is_cuda for v in sd.values())
    cpu_sd = {k: v.cpu() for k, v in sd.items()}
    back = _mlp().to("cuda")
    back.load_state_dict(cpu_sd)  # cpu -> cuda: the model stays on the device
    for k, v in back.state_dict().items():
        assert v.is_cuda, k
        np.testing.assert_array_equal(_host(v), cpu_sd[k].numpy(), err_msg=k)
    path = tmp_path / "m.safetensors"
    lightgrad.save(sd, path)  # saved from the device
    loaded = lightgrad.load(path)
    assert set(loaded) == set(sd)
    for k, v in loaded.items():
        np.testing.assert_array_equal(_host(v), _host(sd[k]), err_msg=k)
    moved = model.cpu()
    assert not any(p.is_cuda for p in moved.parameters())
    np.testing.assert_array_equal(moved.state_dict()["0.weight"].numpy(),
                                  cpu_sd["0.weight"].numpy())


def test_load_a_cuda_state_dict_into_a_cpu_model(device):
    model = _mlp().to("cuda")
    cpu_model = _mlp()
    cpu_model.load_state_dict(model.state_dict())
    for k, v in cpu_model.state_dict().items():
        assert not v.is_cuda
        np.testing.assert_array_equal(v.numpy(), _host(model.state_dict()[k]), err_msg=k)


# ----------------------------------------------------------------------------- without CUDA
needs_no_gpu = pytest.mark.skipif(HAS_GPU, reason="a GPU is present")


@needs_no_gpu
@pytest.mark.parametrize("make", [
    lambda: lightgrad.ones(2).cuda(), lambda: lightgrad.ones(2).to("cuda:0"),
    lambda: lightgrad.tensor([1.0], device="cuda"), lambda: lightgrad.zeros(2, device="cuda"),
    lambda: lightgrad.randn(2, device="cuda"), lambda: nn.Linear(2, 2).to("cuda"),
    lambda: nn.Linear(2, 2).cuda(),
], ids=["tensor.cuda", "tensor.to", "tensor(device)", "zeros(device)", "randn(device)",
        "Module.to", "Module.cuda"])
def test_cuda_without_a_gpu_is_a_clear_error(make):
    assert not lightgrad.cuda.is_available()
    with pytest.raises(RuntimeError, match=r"device cuda(:0)?: CUDA is not available: .*"
                                           r"pip install 'lightgrad\[gpu\]'"):
        make()
