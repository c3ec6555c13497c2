"""lightgrad.save / load: exact round trips, atomic writes, hostile files, PyTorch interop."""

from __future__ import annotations

import io
import json
import math
import os
import pathlib
import pickle
import stat
import struct
import subprocess
import sys
import zipfile
import zlib
from collections import OrderedDict

import numpy as np
import pytest
import safetensors
import safetensors.numpy as st_numpy

import lightgrad
from lightgrad.io import LoadError, atomic, load_safetensors, save_safetensors
from lightgrad.io import serialize as ser

DTYPES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


# ----------------------------------------------------------------------------- helpers
def _array(rng: np.random.Generator, shape: tuple, dtype: str) -> np.ndarray:
    """Random values covering each dtype's range (floats: with -0.0, inf and NaN)."""
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return rng.integers(0, 2, shape).astype(bool)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return rng.integers(info.min, info.max, shape, dtype=dt, endpoint=True)
    a = rng.standard_normal(shape).astype(dt)
    if a.size >= 4:
        a.flat[:4] = [-0.0, np.inf, -np.inf, np.nan]
    return a


def _bits(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a).tobytes()


def assert_same(got, want, where="obj"):
    """Deep equality with exact types, dtypes, shapes and bits."""
    if isinstance(want, lightgrad.Tensor):
        assert type(got) is lightgrad.Tensor, f"{where}: {type(got)}"
        assert got.dtype == want.dtype and got.shape == want.shape, where
        assert got.requires_grad == want.requires_grad, where
        assert got.is_leaf and got.grad_fn is None, where
        assert _bits(got.numpy(force=True)) == _bits(want.numpy(force=True)), where
        return
    assert type(got) is type(want), f"{where}: got {type(got)}, want {type(want)}"
    if isinstance(want, np.ndarray):
        assert got.dtype == want.dtype and got.shape == want.shape, where
        assert _bits(got) == _bits(want), where
    elif isinstance(want, np.generic):
        assert got.dtype == want.dtype and got.tobytes() == want.tobytes(), where
    elif isinstance(want, dict):
        assert list(got.keys()) == list(want.keys()), where
        for k in want:
            assert_same(got[k], want[k], f"{where}[{k!r}]")
    elif isinstance(want, list | tuple):
        assert len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want)):
            assert_same(g, w, f"{where}[{i}]")
    elif isinstance(want, float) and math.isnan(want):
        assert math.isnan(got), where
    else:
        assert got == want, where
        if isinstance(want, float):
            assert math.copysign(1, got) == math.copysign(1, want), where


def roundtrip(obj, tmp_path, **load_kw):
    """Save to a path and to a BytesIO; both loads must agree; return the path load."""
    path = tmp_path / "obj.safetensors"
    lightgrad.save(obj, path)
    buf = io.BytesIO()
    lightgrad.save(obj, buf)
    assert buf.getvalue() == path.read_bytes()  # same bytes either way
    buf.seek(0)
    from_buf = lightgrad.load(buf, **load_kw)
    from_path = lightgrad.load(path, **load_kw)
    assert_same(from_buf, from_path)
    assert buf.tell() == len(buf.getvalue())
    return from_path


def _header(blob: bytes) -> tuple[dict, bytes]:
    n = struct.unpack("<Q", blob[:8])[0]
    return json.loads(blob[8:8 + n]), blob[8 + n:]


def _pack(header, data: bytes = b"") -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


ZERO_CRC = '"header_crc32":"00000000"'


def _header_crc(text: str, header: dict) -> str:
    """The documented header checksum, computed independently of lightgrad."""
    table = sorted([n, e["dtype"], e["shape"]] for n, e in header.items() if n != "__metadata__")
    crc = zlib.crc32(json.dumps(table, separators=(",", ":")).encode(), zlib.crc32(text.encode()))
    return f"{crc:08x}"


def craft(root, arrays: dict[str, np.ndarray], doc=None, fix_crc=True, crc32=None,
          extra_entries=None, meta_key="lightgrad") -> bytes:
    """A lightgrad file with full control over its structure (checksums made valid)."""
    header: dict = {}
    data = b""
    for name, a in arrays.items():
        b = _bits(a)
        header[name] = {"dtype": ser._NP_TO_ST[a.dtype], "shape": list(a.shape),
                        "data_offsets": [len(data), len(data) + len(b)]}
        data += b
    header.update(extra_entries or {})
    if doc is None:
        crcs = crc32 if crc32 is not None else {n: zlib.crc32(_bits(a)) for n, a in arrays.items()}
        doc = {"lightgrad_format": 1, "header_crc32": "00000000", "root": root, "crc32": crcs}
    text = doc if isinstance(doc, str) else json.dumps(doc, separators=(",", ":"))
    if fix_crc and ZERO_CRC in text:
        text = text.replace(ZERO_CRC, f'"header_crc32":"{_header_crc(text, header)}"', 1)
    return _pack({"__metadata__": {meta_key: text}, **header}, data)


def _sample_state():
    """A valid lightgrad file used as the starting point of the corruption tests."""
    rng = np.random.default_rng(7)
    return OrderedDict([
        ("fc.weight", lightgrad.tensor(rng.standard_normal((4, 3)).astype(np.float32))),
        ("fc.bias", lightgrad.tensor(rng.standard_normal(4).astype(np.float32))),
        ("bn.num_batches_tracked", lightgrad.tensor(5)),
        ("mask", lightgrad.tensor(rng.integers(0, 2, 6).astype(bool))),
        ("meta", {"epoch": 3, "lr": 0.1, "betas": (0.9, 0.999), 0: [1, None, "x"]}),
    ])


def _sample_bytes() -> bytes:
    buf = io.BytesIO()
    lightgrad.save(_sample_state(), buf)
    return buf.getvalue()


# ============================================================================= round trips
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (5,), (2, 3, 4)], ids=str)
def test_roundtrip_dtype_shape_bitwise(dtype, shape, rng, tmp_path):
    obj = {"t": lightgrad.tensor(_array(rng, shape, dtype)), "a": _array(rng, shape, dtype)}
    out = roundtrip(obj, tmp_path)
    assert_same(out, obj)
    assert out["t"].data.flags.writeable and out["t"].data.flags.aligned


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_roundtrip_non_contiguous(dtype, rng, tmp_path):
    base = _array(rng, (6, 8), dtype)
    views = {"T": lightgrad.tensor(base).T, "step": lightgrad.tensor(base)[::2, 1::3],
             "neg": base[::-1, ::-2], "bcast": np.broadcast_to(base[:1], (4, 8))}
    assert not views["T"].is_contiguous()
    out = roundtrip(views, tmp_path)
    for k, v in views.items():
        want = v.numpy() if isinstance(v, lightgrad.Tensor) else v
        got = out[k].numpy() if isinstance(v, lightgrad.Tensor) else out[k]
        assert got.shape == want.shape and _bits(got) == _bits(want), k
        assert got.flags.c_contiguous


def test_roundtrip_root_tensor_and_scalars(tmp_path):
    assert_same(roundtrip(lightgrad.arange(5), tmp_path), lightgrad.arange(5))
    for v in [None, True, 0, -(2**100), 2.5, -0.0, math.inf, -math.inf, math.nan, "é\u2603\x00",
              "", [], (), {}, OrderedDict()]:
        assert_same(roundtrip(v, tmp_path), v, repr(v))


def test_roundtrip_nested_structure(tmp_path):
    obj = OrderedDict([
        ("z", [1, 2.0, False, None, "s", (3, (4.5, "t")), []]),
        ("a", {1: "int key", 1.5: "float key", None: "none key", False: "bool key",
               (1, "x", (None,)): "tuple key", "": "empty key", math.inf: "inf key",
               np.int64(7): "numpy key", (np.float32(0.5),): "numpy tuple key"}),
        ("arrays", [np.arange(6, dtype=np.int16).reshape(2, 3), np.float32(2.5), np.int8(-3),
                    np.bool_(True), np.float16(np.inf), np.float64(np.nan), np.uint8(255)]),
        ("size", lightgrad.Size([2, 0, 3])),
        ("deep", [[[[[[{"k": lightgrad.ones(2)}]]]]]]),
    ])
    out = roundtrip(obj, tmp_path)
    assert_same(out, obj)
    assert list(out["a"]) == [1, 1.5, None, False, (1, "x", (None,)), "", math.inf, 7, (0.5,)]
    assert type(list(out["a"])[7]) is np.int64
    assert type(out["z"][5]) is tuple and type(out) is OrderedDict and type(out["a"]) is dict


def test_dict_subclasses_and_namedtuples_come_back_plain(tmp_path):
    from collections import defaultdict, namedtuple

    point = namedtuple("point", "x y")
    out = roundtrip({"d": defaultdict(int, a=1), "p": point(1, 2)}, tmp_path)
    assert type(out["d"]) is dict and out["d"] == {"a": 1}
    assert type(out["p"]) is tuple and out["p"] == (1, 2)


def test_shared_tensors_stay_shared_and_requires_grad_kept(tmp_path):
    w = lightgrad.randn(3, 2, requires_grad=True)
    p = lightgrad.nn.Parameter(lightgrad.randn(2))
    out = roundtrip({"a": w, "b": [w, p], "c": (p,)}, tmp_path)
    assert out["a"] is out["b"][0] and out["b"][1] is out["c"][0]
    assert type(out["c"][0]) is lightgrad.Tensor  # Parameters are saved as tensors
    assert out["a"].requires_grad and out["c"][0].requires_grad
    assert_same(out["a"], w)
    # a tensor and a different tensor over the same memory are two tensors
    out = roundtrip({"x": w.detach(), "y": w.detach()}, tmp_path)
    assert out["x"] is not out["y"] and not out["x"].requires_grad


def test_tensor_names_are_state_dict_keys_readable_by_safetensors(tmp_path):
    state = _sample_state()
    lightgrad.save(state, tmp_path / "m.safetensors")
    plain = st_numpy.load_file(tmp_path / "m.safetensors")
    assert set(plain) == {"fc.weight", "fc.bias", "bn.num_batches_tracked", "mask"}
    for k in plain:
        assert _bits(plain[k]) == _bits(state[k].numpy())
    flat = load_safetensors(tmp_path / "m.safetensors")
    assert set(flat) == set(plain) and all(type(v) is lightgrad.Tensor for v in flat.values())


def test_generated_names_are_unique():
    a, b, c = lightgrad.zeros(1), lightgrad.ones(1), lightgrad.full((1,), 2.0)
    obj = {"x.y": a, "x": {"y": b}, "__metadata__": c}
    buf = io.BytesIO()
    lightgrad.save(obj, buf)
    header, _ = _header(buf.getvalue())
    assert len([k for k in header if k != "__metadata__"]) == 3
    buf.seek(0)
    assert_same(lightgrad.load(buf), obj)


def test_module_state_dict_roundtrip(tmp_path):
    m1, m2 = _lg_mlp([3, 5, 2]), _lg_mlp([3, 5, 2])
    m1.register_buffer("running", lightgrad.arange(4.0))
    m2.register_buffer("running", lightgrad.zeros(4))
    sd = m1.state_dict()
    out = roundtrip(sd, tmp_path)
    assert type(out) is OrderedDict and list(out) == list(sd)
    assert_same(out, sd)
    m2.load_state_dict(out)
    for (k1, v1), (k2, v2) in zip(m1.state_dict().items(), m2.state_dict().items()):
        assert k1 == k2 and _bits(v1.numpy()) == _bits(v2.numpy())


@pytest.mark.torch
def test_optimizer_state_dict_roundtrip_keeps_int_keys(tmp_path):
    """A PyTorch Adam state_dict (int keys, tuples, None, floats), tensors made lightgrad."""
    torch = pytest.importorskip("torch")
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.99), amsgrad=True)
    model(torch.randn(4, 3)).sum().backward()
    opt.step()

    def conv(x):
        if isinstance(x, torch.Tensor):
            return lightgrad.tensor(x.detach().numpy().copy())
        if isinstance(x, dict):
            return {k: conv(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return type(x)(conv(v) for v in x)
        return x

    sd = conv(opt.state_dict())
    out = roundtrip(sd, tmp_path)
    assert_same(out, sd)
    assert list(out["state"]) == [0, 1] and out["param_groups"][0]["params"] == [0, 1]
    assert out["param_groups"][0]["betas"] == (0.9, 0.99)
    assert out["param_groups"][0]["foreach"] is None


@pytest.mark.parametrize("make", [
    lambda ps: lightgrad.optim.SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: lightgrad.optim.Adam(ps, lr=0.01, amsgrad=True),
], ids=["SGD", "Adam"])
def test_lightgrad_optimizer_checkpoint_resumes_exactly(make, tmp_path):
    """Save model + optimizer after 2 steps, reload into fresh objects: step 3 is identical."""
    x = lightgrad.randn(5, 3)

    def step(m, opt):
        opt.zero_grad()
        m(x).pow(2).sum().backward()
        opt.step()

    m = _lg_mlp([3, 4, 2])
    opt = make(m.parameters())
    step(m, opt)
    step(m, opt)
    ck = roundtrip({"model": m.state_dict(), "optim": opt.state_dict(), "epoch": 2}, tmp_path)
    assert_same(ck["optim"], opt.state_dict())
    assert list(ck["optim"]["state"]) == [0, 1, 2, 3]
    m2 = _lg_mlp([3, 4, 2])
    opt2 = make(m2.parameters())
    m2.load_state_dict(ck["model"])
    opt2.load_state_dict(ck["optim"])
    step(m, opt)
    step(m2, opt2)
    for (k, a), (_, b) in zip(m.state_dict().items(), m2.state_dict().items()):
        assert _bits(a.numpy()) == _bits(b.numpy()), k


def test_several_saves_in_one_stream():
    buf = io.BytesIO()
    objs = [{"a": lightgrad.ones(2)}, [1, 2], lightgrad.zeros(0)]
    for o in objs:
        lightgrad.save(o, buf)
    buf.seek(0)
    for o in objs:
        assert_same(lightgrad.load(buf), o)
    assert buf.read() == b""


def test_file_objects_and_pathlike(tmp_path):
    obj = {"w": lightgrad.randn(3)}
    p = tmp_path / "f.st"
    with open(p, "wb") as fh:
        lightgrad.save(obj, fh)
    with open(p, "rb") as fh:
        assert_same(lightgrad.load(fh), obj)
    assert_same(lightgrad.load(str(p)), obj)
    assert_same(lightgrad.load(pathlib.Path(p)), obj)

    class Pipe(io.RawIOBase):  # not seekable, returns short reads
        def __init__(self, data):
            self.data, self.pos = data, 0

        def readable(self):
            return True

        def readinto(self, b):
            n = min(len(b), 7, len(self.data) - self.pos)
            b[:n] = self.data[self.pos:self.pos + n]
            self.pos += n
            return n

    assert_same(lightgrad.load(Pipe(p.read_bytes())), obj)
    with pytest.raises(TypeError, match="binary file object"):
        lightgrad.load(io.StringIO("x"))
    with pytest.raises(TypeError, match="binary file object"):
        lightgrad.save(obj, io.StringIO())
    with pytest.raises(TypeError, match="path or a binary file"):
        lightgrad.load(12.5)


def test_map_location(tmp_path):
    obj = {"w": lightgrad.randn(2, 2), "a": np.ones(2)}
    for loc in [None, "cpu", lightgrad.device("cpu"), {"cuda:0": "cpu"}]:
        out = roundtrip(obj, tmp_path, map_location=loc)
        assert out["w"].device == lightgrad.device("cpu") and type(out["a"]) is np.ndarray
    with pytest.raises(TypeError, match="map_location"):
        lightgrad.load(tmp_path / "obj.safetensors", map_location=lambda s, loc: s)
    with pytest.raises(RuntimeError, match="unknown device type"):
        lightgrad.load(tmp_path / "obj.safetensors", map_location="tpu")
    with pytest.raises(TypeError, match="weights_only"):
        lightgrad.load(tmp_path / "obj.safetensors", weights_only="yes")
    assert_same(lightgrad.load(tmp_path / "obj.safetensors", weights_only=False)["w"], obj["w"])


def test_saved_cuda_device_is_restored_or_mapped(tmp_path):
    blob = craft({"T": "dict", "items": [["w", {"T": "tensor", "name": "w", "device": "cuda:0"}]]},
                 {"w": np.arange(3.0)})
    p = tmp_path / "cuda.st"
    p.write_bytes(blob)
    out = lightgrad.load(p, map_location="cpu")
    assert out["w"].device == lightgrad.device("cpu")
    assert _bits(out["w"].numpy()) == _bits(np.arange(3.0))
    assert lightgrad.load(p, map_location={"cuda:0": "cpu"})["w"].device.type == "cpu"
    if not lightgrad.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA is not available; pass map_location='cpu'"):
            lightgrad.load(p)
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            lightgrad.load(p, map_location="cuda")


@pytest.mark.gpu
def test_cuda_roundtrip(tmp_path):
    if not lightgrad.cuda.is_available():
        pytest.skip("needs a CUDA GPU and CuPy")
    t = lightgrad.randn(3, 4).to("cuda")
    out = roundtrip({"t": t, "c": lightgrad.arange(3)}, tmp_path)
    assert out["t"].device == lightgrad.device("cuda:0") and out["c"].device.type == "cpu"
    assert_same(out["t"], t)
    assert roundtrip({"t": t}, tmp_path, map_location="cpu")["t"].device.type == "cpu"
    assert roundtrip({"c": lightgrad.ones(2)}, tmp_path, map_location="cuda")["c"].is_cuda


def test_save_rejects_unsupported_objects(tmp_path):
    cases = [
        (object(), TypeError, r"obj of type object"),
        ({"m": _lg_mlp([2, 2])}, TypeError, r"obj\['m'\] of type Sequential.*state_dict\(\)"),
        ({"a": [1, {2}]}, TypeError, r"obj\['a'\]\[1\] of type set"),
        ({"c": 1j}, TypeError, "complex"),
        ({"b": b"bytes"}, TypeError, "bytes"),
        ({frozenset(): 1}, TypeError, "key frozenset"),
        ({"x": np.array(["s"])}, TypeError, r"obj\['x'\] is an array of dtype <U1"),
        ({"x": np.zeros(2, np.complex64)}, TypeError, "complex64"),
        ({"x": np.uint16(3)}, TypeError, "NumPy scalar of dtype uint16"),
    ]
    for obj, exc, match in cases:
        with pytest.raises(exc, match=match):
            lightgrad.save(obj, tmp_path / "x.st")
    cyc: list = [1]
    cyc.append({"back": cyc})
    with pytest.raises(ValueError, match="contains itself"):
        lightgrad.save(cyc, tmp_path / "x.st")
    deep: list = []
    cur = deep
    for _ in range(ser.MAX_DEPTH + 1):
        cur.append([])
        cur = cur[0]
    with pytest.raises(ValueError, match="nested more than 100 levels"):
        lightgrad.save(deep, tmp_path / "x.st")
    assert os.listdir(tmp_path) == []  # nothing was written
    shared = [1]
    assert_same(roundtrip({"a": shared, "b": shared}, tmp_path), {"a": [1], "b": [1]})


def test_big_endian_arrays_are_saved_native(tmp_path):
    a = np.arange(5, dtype=">i4")
    out = roundtrip({"a": a}, tmp_path)
    assert out["a"].dtype == np.dtype("int32") and out["a"].tolist() == a.tolist()


def test_save_load_safetensors_helpers(tmp_path):
    ts = {"w": lightgrad.randn(2, 3), "b": np.arange(4, dtype=np.uint8), "s": lightgrad.tensor(1.5)}
    p = tmp_path / "plain.safetensors"
    save_safetensors(ts, p, metadata={"format": "pt", "note": "hi"})
    with safetensors.safe_open(p, framework="np") as h:
        assert h.metadata() == {"format": "pt", "note": "hi"}
        assert set(h.keys()) == {"w", "b", "s"}
    out = load_safetensors(p)
    assert_same(out["w"], ts["w"])
    assert _bits(out["b"].numpy()) == _bits(ts["b"]) and out["s"].shape == ()
    assert_same(lightgrad.load(p), out)  # a plain file loads as a flat dict
    for bad, match in [({1: ts["w"]}, "names must be strings"), ({"x": [1]}, "expected a Tensor"),
                       ({"__metadata__": ts["w"]}, "names must be strings")]:
        with pytest.raises(TypeError, match=match):
            save_safetensors(bad, p)
    with pytest.raises(ValueError, match="reserved"):
        save_safetensors(ts, p, metadata={"lightgrad": "{}"})
    with pytest.raises(TypeError, match="metadata must map strings"):
        save_safetensors(ts, p, metadata={"a": 1})
    with pytest.raises(TypeError, match="expected a dict"):
        save_safetensors([ts["w"]], p)


# ============================================================================= PyTorch interop
def _lg_mlp(sizes):
    """Linear/ReLU stack with torch.nn.Sequential's parameter names ("0.weight", "2.bias"...)."""
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i:
            layers.append(lightgrad.nn.ReLU())
        layers.append(lightgrad.nn.Linear(a, b))
    return lightgrad.nn.Sequential(*layers)


@pytest.mark.torch
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_torch_safetensors_state_dict_loads_into_lightgrad(dtype, tmp_path):
    torch = pytest.importorskip("torch")
    import safetensors.torch as st_torch

    tdt = getattr(torch, dtype)
    torch.manual_seed(0)
    tm = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)).to(tdt)
    path = tmp_path / "torch.safetensors"
    st_torch.save_file(tm.state_dict(), path)
    sd = lightgrad.load(path)
    assert type(sd) is dict and set(sd) == set(tm.state_dict())
    for k, v in tm.state_dict().items():
        assert sd[k].dtype == np.dtype(dtype) and _bits(sd[k].numpy()) == _bits(v.numpy())
    lm = _lg_mlp([4, 8, 3])
    if dtype == "float64":
        lm = lm.to(lightgrad.float64)
    lm.load_state_dict(sd)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(dtype)
    want = tm(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(lm(lightgrad.tensor(x)).numpy(force=True), want, rtol=1e-5,
                               atol=1e-6)

    # and back: a lightgrad state_dict saved by lightgrad loads into the torch module
    lightgrad.save(lm.state_dict(), tmp_path / "lg.safetensors")
    tm2 = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3)).to(tdt)
    tm2.load_state_dict(st_torch.load_file(tmp_path / "lg.safetensors"))
    for (k, a), (_, b) in zip(tm.state_dict().items(), tm2.state_dict().items()):
        assert torch.equal(a, b), k


@pytest.mark.torch
def test_torch_pickles_and_zips_are_refused(tmp_path):
    torch = pytest.importorskip("torch")
    sd = torch.nn.Linear(2, 2).state_dict()
    torch.save(sd, tmp_path / "zip.pt")
    torch.save(sd, tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(LoadError, match=r"zip archive, like PyTorch's torch.save .*unpickles"):
        lightgrad.load(tmp_path / "zip.pt")
    with pytest.raises(LoadError, match=r"looks like a pickle; lightgrad never unpickles"):
        lightgrad.load(tmp_path / "legacy.pt")


# ============================================================================= atomic writes
class Boom(OSError):
    pass


def _old_file(tmp_path):
    target = tmp_path / "model.safetensors"
    lightgrad.save(_sample_state(), target)
    return target, target.read_bytes()


def _check_intact(target, old_bytes):
    assert target.read_bytes() == old_bytes
    assert_same(lightgrad.load(target), _sample_state())
    assert os.listdir(target.parent) == [target.name], "a temporary file was left behind"


def _partial_writer(exc):
    def write(specs, filename, metadata=None):
        blob = safetensors.serialize(specs, metadata=metadata)
        with open(filename, "wb") as fh:
            fh.write(blob[: len(blob) // 2])
        raise exc

    return write


def _fail_tmp_open(real_open):
    def fake(path, *a, **k):
        if str(path).endswith(".tmp") and (a[0] if a else k.get("flags", 0)) & os.O_CREAT:
            raise Boom("no space to create the temporary file")
        return real_open(path, *a, **k)

    return fake


def _raise(exc):
    def f(*a, **k):
        raise exc

    return f


FAILURES = {
    "create_tmp": lambda mp: mp.setattr(atomic.os, "open", _fail_tmp_open(os.open)),
    "write_nothing": lambda mp: mp.setattr(ser, "_serialize_file", _raise(Boom("disk full"))),
    "write_half": lambda mp: mp.setattr(ser, "_serialize_file", _partial_writer(Boom("EIO"))),
    "write_interrupted": lambda mp: mp.setattr(ser, "_serialize_file",
                                               _partial_writer(KeyboardInterrupt())),
    "fsync": lambda mp: mp.setattr(atomic, "_fsync", _raise(Boom("fsync failed"))),
    "replace": lambda mp: mp.setattr(atomic, "_replace", _raise(Boom("rename failed"))),
    "chmod": lambda mp: mp.setattr(atomic.os, "fchmod" if hasattr(os, "fchmod") else "chmod",
                                   _raise(Boom("chmod failed"))),
}


@pytest.mark.parametrize("step", list(FAILURES))
def test_interrupted_save_leaves_previous_file_valid(step, tmp_path, monkeypatch):
    target, old = _old_file(tmp_path)
    new = {"other": lightgrad.zeros(100)}
    with monkeypatch.context() as mp:
        FAILURES[step](mp)
        with pytest.raises((Boom, KeyboardInterrupt)):
            lightgrad.save(new, target)
        with pytest.raises((Boom, KeyboardInterrupt)):
            save_safetensors(new, target)
    _check_intact(target, old)
    lightgrad.save(new, target)  # and once the fault is gone, the save goes through
    assert_same(lightgrad.load(target), new)


@pytest.mark.parametrize("step", ["write_half", "fsync", "replace"])
def test_interrupted_first_save_leaves_nothing(step, tmp_path, monkeypatch):
    FAILURES[step](monkeypatch)
    with pytest.raises(Boom):
        lightgrad.save({"a": lightgrad.ones(3)}, tmp_path / "new.st")
    assert os.listdir(tmp_path) == []


def test_save_steps_happen_in_order(tmp_path, monkeypatch):
    target, _ = _old_file(tmp_path)
    calls = []
    real_write, real_fsync, real_replace = ser._serialize_file, atomic._fsync, atomic._replace

    def write(specs, filename, metadata=None):
        calls.append(("write", os.path.basename(filename)))
        real_write(specs, filename, metadata=metadata)

    def fsync(fd):
        st = os.fstat(fd)
        kind = "dir" if stat.S_ISDIR(st.st_mode) else f"file:{st.st_size}"
        calls.append(("fsync", kind))
        real_fsync(fd)

    def replace(a, b):
        assert lightgrad.load(a) is not None  # the temporary file is complete before the rename
        calls.append(("replace", os.path.basename(a), os.path.basename(b)))
        real_replace(a, b)

    monkeypatch.setattr(ser, "_serialize_file", write)
    monkeypatch.setattr(atomic, "_fsync", fsync)
    monkeypatch.setattr(atomic, "_replace", replace)
    lightgrad.save({"x": lightgrad.ones(3)}, target)
    tmp = calls[0][1]
    assert tmp.startswith(".model.safetensors.") and tmp.endswith(".tmp")
    want = [("fsync", f"file:{target.stat().st_size}"), ("replace", tmp, target.name)]
    if hasattr(os, "O_DIRECTORY"):  # POSIX: the folder is synced after the rename
        want.append(("fsync", "dir"))
    assert calls[1:] == want


def test_directory_fsync_failure_is_not_fatal(tmp_path, monkeypatch):
    target, _ = _old_file(tmp_path)
    real = atomic._fsync

    def fsync(fd):
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(22, "Invalid argument")  # filesystems that cannot fsync a folder
        real(fd)

    monkeypatch.setattr(atomic, "_fsync", fsync)
    lightgrad.save({"x": lightgrad.ones(3)}, target)
    assert_same(lightgrad.load(target), {"x": lightgrad.ones(3)})
    assert os.listdir(tmp_path) == [target.name]


def test_crash_mid_write_in_another_process(tmp_path):
    """A hard kill (no cleanup) during the write: the previous file still loads."""
    target, old = _old_file(tmp_path)
    script = f"""
import os, lightgrad, safetensors
from lightgrad.io import serialize as ser
def dying_write(specs, filename, metadata=None):
    blob = safetensors.serialize(specs, metadata=metadata)
    with open(filename, "wb") as fh:
        fh.write(blob[:len(blob) // 3])
        fh.flush()
    os._exit(7)
ser._serialize_file = dying_write
lightgrad.save({{"x": lightgrad.zeros(1000)}}, {str(target)!r})
"""
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert res.returncode == 7, res.stderr.decode()
    assert target.read_bytes() == old
    assert_same(lightgrad.load(target), _sample_state())
    leftovers = [n for n in os.listdir(tmp_path) if n != target.name]
    assert len(leftovers) == 1 and leftovers[0].startswith(".model.safetensors.")


def test_permissions_and_symlinks(tmp_path):
    target, _ = _old_file(tmp_path)
    for mode in (0o640, 0o444):
        os.chmod(target, mode)
        lightgrad.save({"a": 1}, target)
        assert stat.S_IMODE(target.stat().st_mode) == mode
    new = tmp_path / "new.st"
    lightgrad.save({"a": 1}, new)  # a new file gets the usual 0o666 & ~umask, as open() gives
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(new.stat().st_mode) == 0o666 & ~umask
    new.unlink()
    link = tmp_path / "link.st"
    link.symlink_to(target.name)
    lightgrad.save({"b": 2}, link)
    assert link.is_symlink() and lightgrad.load(target) == {"b": 2}
    with pytest.raises(FileNotFoundError):
        lightgrad.save({"a": 1}, tmp_path / "missing_dir" / "x.st")


# ============================================================================= hostile files
def _valid_plain() -> tuple[dict, bytes]:
    return _header(st_numpy.save({"a": np.arange(4, dtype=np.float32),
                                  "b": np.ones(2, np.int64)}))


def _entry(dtype="F32", shape=(1,), offs=(0, 4)):
    return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offs)}


def _f32(name="a"):
    return {name: _entry()}, b"\0" * 4


def _nest(depth):
    node: object = 1
    for _ in range(depth):
        node = {"T": "list", "items": [node]}
    return node


def _tensor_root(name="w"):
    return {"T": "dict", "items": [["w", {"T": "tensor", "name": name}]]}


W = {"w": np.arange(3.0, dtype=np.float32)}


def _flip(blob: bytes, pos: int, mask: int = 0xFF) -> bytes:
    b = bytearray(blob)
    b[pos] ^= mask
    return bytes(b)


def _truncate(frac):
    def make():
        blob = _sample_bytes()
        return blob[: int(len(blob) * frac)]

    return make


def _meta_only(meta, tensors=None, data=b""):
    return lambda: _pack({"__metadata__": meta, **(tensors or {})}, data)


def _doc(**kw):
    doc = {"lightgrad_format": 1, "header_crc32": "00000000", "root": 1, "crc32": {}}
    doc.update(kw)
    return {k: v for k, v in doc.items() if v is not None}


# (id, builder, message fragment, safetensors itself rejects the file)
HOSTILE = [
    ("empty", lambda: b"", "the file is empty", True),
    ("too_short", lambda: b"\x05\x00\x00", "too short (3 bytes)", True),
    ("truncated_in_length", lambda: _sample_bytes()[:5], "too short", True),
    ("truncated_in_header", _truncate(0.3), "truncated", True),
    ("truncated_in_data", _truncate(0.97), "truncated", True),
    ("truncated_last_byte", lambda: _sample_bytes()[:-1], "truncated", True),
    ("header_len_beyond_file", lambda: struct.pack("<Q", 500) + b"{}", "header length is 500 bytes "
     "but only 2 bytes follow", True),
    ("header_len_absurd", lambda: struct.pack("<Q", 2**62) + b"{}" * 8, "larger than the "
     "100000000-byte limit", True),
    ("header_len_zero", lambda: struct.pack("<Q", 0) + b"{}", "too small", True),
    ("header_not_json", lambda: _pack(b'{"a": {"dtype": '), "header is not valid JSON", True),
    ("header_not_object", lambda: _pack(b"[1, 2]"), "does not start with '{'", True),
    ("header_bad_utf8", lambda: _pack(b'{"\xff\xfe": 1}'), "not valid UTF-8", True),
    ("header_trailing_nul", lambda: _pack(b"{}\0\0"), "header is not valid JSON", True),
    ("header_nan", lambda: _pack(b'{"a": NaN}'), "contains NaN", True),
    ("header_deep", lambda: _pack(b'{"a":' + b"[" * 50000 + b"]" * 50000 + b"}"),
     "nested too deeply", True),
    ("header_entry_not_object", lambda: _pack({"a": [1, 2]}), "exactly the keys", True),
    ("header_entry_extra_key", lambda: _pack({"a": {**_entry(), "code": "import os"}}, b"\0" * 4),
     "exactly the keys", False),
    ("header_duplicate_key", lambda: _pack(b'{"a":' + json.dumps(_entry()).encode() + b',"a":'
                                           + json.dumps(_entry()).encode() + b"}", b"\0" * 4),
     "has the key 'a' twice", False),
    ("dtype_unknown", lambda: _pack({"a": _entry("F33")}, b"\0" * 4), "unknown dtype 'F33'", True),
    ("dtype_lowercase", lambda: _pack({"a": _entry("f32")}, b"\0" * 4), "unknown dtype", True),
    ("dtype_not_string", lambda: _pack({"a": _entry(7)}, b"\0" * 4), "unknown dtype 7", True),
    ("dtype_bf16", lambda: _pack({"a": _entry("BF16", (2,))}, b"\0" * 4),
     "dtype BF16, which lightgrad does not support", False),
    ("shape_negative", lambda: _pack({"a": _entry(shape=(-1,))}, b"\0" * 4), "invalid shape", True),
    ("shape_float", lambda: _pack({"a": _entry(shape=(1.0,))}, b"\0" * 4), "invalid shape", True),
    ("shape_bool", lambda: _pack({"a": _entry(shape=(True,))}, b"\0" * 4), "invalid shape", True),
    ("shape_too_many_dims", lambda: _pack({"a": _entry(shape=(1,) * 65)}, b"\0" * 4),
     "at most 64", False),
    ("shape_vs_offsets", lambda: _pack({"a": _entry(shape=(2,))}, b"\0" * 4),
     "shape (2,) of F32 needs 8 bytes but its data_offsets [0, 4] span 4", True),
    ("shape_huge_2p40", lambda: _pack({"a": _entry(shape=(2**40,), offs=(0, 2**42))}, b"\0" * 64),
     "describes 4398046511104 bytes of tensor data but only 64", True),
    ("shape_overflow", lambda: _pack({"a": _entry(shape=(2**62, 2**62), offs=(0, 0))}),
     "needs 85070591730234615865843651857942052864 bytes", True),
    ("offsets_reversed", lambda: _pack({"a": _entry(shape=(0,), offs=(4, 0))}, b"\0" * 4),
     "invalid data_offsets [4, 0]", True),
    ("offsets_three", lambda: _pack({"a": {**_entry(), "data_offsets": [0, 4, 8]}}, b"\0" * 8),
     "invalid data_offsets", True),
    ("offsets_overlap", lambda: _pack({"a": _entry(), "b": _entry()}, b"\0" * 4), "overlap", True),
    ("offsets_gap", lambda: _pack({"a": _entry(offs=(4, 8))}, b"\0" * 8), "a gap", True),
    ("offsets_out_of_range", lambda: _pack({"a": _entry(shape=(4,), offs=(0, 16))}, b"\0" * 4),
     "offsets are out of range", True),
    ("trailing_bytes", lambda: _pack(*_f32()) + b"junk", "4 unexpected bytes after", True),
    ("bool_not_0_1", lambda: _pack({"m": _entry("BOOL", (2,), (0, 2))}, b"\x01\x05"),
     "bytes other than 0 and 1", False),
    ("metadata_not_strings", _meta_only({"x": 1}), "__metadata__ is not an object of strings",
     True),
    ("metadata_is_list", _meta_only([]), "__metadata__", True),
    ("lightgrad_key_damaged", lambda: craft(1, {}, meta_key="lightgrbd"),
     "lightgrad metadata is damaged: its key is not 'lightgrad'", False),
    ("header_crc_missing", lambda: craft(None, {}, doc=_doc(header_crc32=None)),
     "expected ['crc32', 'header_crc32', 'lightgrad_format', 'root']", False),
    ("header_crc_not_hex", lambda: craft(None, {}, doc=_doc(header_crc32="0x12")),
     "checksum '0x12' is not 8 hex digits", False),
    ("lightgrad_doc_not_json", lambda: craft(None, {}, doc="{'root': 1}"),
     "lightgrad metadata is not valid JSON", False),
    ("lightgrad_doc_not_object", lambda: craft(None, {}, doc="[1]"), "JSON list, not an object",
     False),
    ("format_missing", lambda: craft(None, {}, doc=_doc(lightgrad_format=None)),
     "no lightgrad_format version", False),
    ("format_version_2", lambda: craft(None, {}, doc=_doc(lightgrad_format=2)),
     "unknown lightgrad_format version 2", False),
    ("format_version_str", lambda: craft(None, {}, doc=_doc(lightgrad_format="1")),
     "unknown lightgrad_format version '1'", False),
    ("doc_extra_field", lambda: craft(None, {}, doc=_doc(exec="print(1)")), "has keys ['crc32', "
     "'exec', 'header_crc32', 'lightgrad_format', 'root']", False),
    ("header_checksum_wrong", lambda: craft(_tensor_root(), W, fix_crc=False),
     "header does not match its checksum", False),
    ("data_checksum_wrong", lambda: craft(_tensor_root(), W, crc32={"w": 12345}),
     "'w': the data does not match its checksum", False),
    ("crc_table_incomplete", lambda: craft(_tensor_root(), W, crc32={}),
     "crc32 table does not list exactly", False),
    ("missing_tensor", lambda: craft(_tensor_root("nope"), W), "refers to a tensor 'nope' that is "
     "not in the file", False),
    ("unreferenced_tensor", lambda: craft(1, W), "never uses: 'w'", False),
    ("structure_bomb_depth", lambda: craft(_nest(150), {}), "nested more than 100 levels", False),
    ("structure_json_bomb", lambda: craft(None, {}, doc='{"root":' + "[" * 50000 + "]" * 50000
                                          + "}"), "nested too deeply", False),
    ("structure_unknown_kind", lambda: craft({"T": "pickle", "module": "os", "name": "system"},
                                             {}), "unknown kind 'pickle'", False),
    ("structure_no_tag", lambda: craft({"__class__": "os.system"}, {}), "unknown kind None",
     False),
    ("structure_bare_list", lambda: craft([1, 2], {}), "JSON list, not a tagged object", False),
    ("structure_extra_key", lambda: craft({"T": "list", "items": [], "x": 1}, {}), "has keys",
     False),
    ("structure_items_not_list", lambda: craft({"T": "tuple", "items": "ab"}, {}),
     "'items' that is not a list", False),
    ("structure_dup_key", lambda: craft({"T": "dict", "items": [["a", 1], ["a", 2]]}, {}),
     "has the key 'a' twice", False),
    ("structure_bad_pair", lambda: craft({"T": "dict", "items": [["a"]]}, {}),
     "is not a [key, value] pair", False),
    ("structure_list_key", lambda: craft({"T": "dict", "items": [[{"T": "list", "items": []},
                                                                   1]]}, {}),
     "dict key that is not", False),
    ("structure_bad_float", lambda: craft({"T": "float", "value": "1e999"}, {}),
     "invalid value '1e999'", False),
    ("structure_huge_int", lambda: craft(None, {}, doc='{"lightgrad_format":1,' + ZERO_CRC
                                         + ',"root":' + "9" * 5000 + ',"crc32":{}}'),
     "lightgrad metadata is not valid JSON", False),
    ("structure_bad_size", lambda: craft({"T": "size", "items": [-1]}, {}), "not sizes", False),
    ("npscalar_bad_dtype", lambda: craft({"T": "npscalar", "dtype": "object", "value": 1}, {}),
     "invalid dtype 'object'", False),
    ("npscalar_out_of_range", lambda: craft({"T": "npscalar", "dtype": "int8", "value": 300}, {}),
     "out-of-range value 300", False),
    ("npscalar_wrong_type", lambda: craft({"T": "npscalar", "dtype": "int8", "value": "1"}, {}),
     "value of type str", False),
    ("tensor_requires_grad_int", lambda: craft({"T": "tensor", "name": "i", "requires_grad": True},
                                               {"i": np.arange(2)}),
     "requires_grad on a int64 tensor", False),
    ("tensor_requires_grad_str", lambda: craft({"T": "tensor", "name": "w", "requires_grad": "y"},
                                               W), "requires_grad 'y'", False),
    ("tensor_bad_device", lambda: craft({"T": "tensor", "name": "w", "device": "tpu:0"}, W),
     "invalid device 'tpu:0'", False),
    ("tensor_name_not_string", lambda: craft({"T": "tensor", "name": ["w"]}, W),
     "refers to a tensor ['w']", False),
    ("tensor_as_tensor_and_ndarray", lambda: craft({"T": "list", "items": [
        {"T": "tensor", "name": "w"}, {"T": "ndarray", "name": "w"}]}, W),
     "again with different attributes", False),
    ("pickle_plain", lambda: pickle.dumps({"a": 1}, protocol=4), "looks like a pickle; lightgrad "
     "never unpickles", True),
    ("pickle_protocol_2", lambda: pickle.dumps([1.0] * 10, protocol=2), "looks like a pickle",
     True),
    ("zip_archive", lambda: _zip_bytes(), "it is a zip archive", True),
    ("numpy_npy", lambda: _npy_bytes(), "NumPy .npy file", True),
    ("gzip", lambda: b"\x1f\x8b\x08\x00" + b"\0" * 20, "gzip-compressed", True),
    ("text_file", lambda: b"# a README\nhello world\n", "looks like a text file", True),
    ("random_garbage", lambda: np.random.default_rng(3).bytes(1000), "limit", True),
]


STRUCTURAL = ("structure_", "npscalar_", "tensor_", "missing_tensor", "unreferenced_tensor")


def _zip_bytes():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps({"a": 1}))
    return buf.getvalue()


def _npy_bytes():
    buf = io.BytesIO()
    np.save(buf, np.arange(3))
    return buf.getvalue()


def test_enough_distinct_hostile_files():
    blobs = {case[0]: case[1]() for case in HOSTILE}
    assert len(set(blobs.values())) == len(HOSTILE) >= 20


def _safetensors_rejects(blob: bytes, path) -> bool:
    """The safetensors library's verdict on the format (all dtypes, no NumPy conversion)."""
    verdicts = set()
    for check in (lambda: safetensors.safe_open(path, framework="np").keys(),
                  lambda: safetensors.deserialize(blob)):
        try:
            check()
            verdicts.add(False)
        except safetensors.SafetensorError:
            verdicts.add(True)
    assert len(verdicts) == 1, "safe_open and deserialize disagree"
    return verdicts.pop()


@pytest.mark.parametrize("case", HOSTILE, ids=lambda c: c[0])
def test_hostile_file_rejected(case, tmp_path):
    name, make, fragment, safetensors_rejects = case
    blob = make()
    path = tmp_path / f"{name}.safetensors"
    path.write_bytes(blob)
    with pytest.raises(LoadError) as info:
        lightgrad.load(path)
    msg = str(info.value)
    assert msg.startswith(f"lightgrad.load: {str(path)!r}: "), msg
    assert fragment in msg, msg
    assert isinstance(info.value, ValueError) and info.value.__cause__ is None
    stream = io.BytesIO(blob)
    if name == "trailing_bytes":  # a stream may go on after the file: the load stops there
        assert set(lightgrad.load(stream)) == {"a"} and stream.read() == b"junk"
    else:  # the same verdict from a stream
        with pytest.raises(LoadError) as info2:
            lightgrad.load(stream)
        assert fragment in str(info2.value) and "<BytesIO>" in str(info2.value)
    try:  # the flat loader ignores the structure but checks everything else
        flat = load_safetensors(path)
        assert all(type(v) is lightgrad.Tensor for v in flat.values())
        assert name.startswith(STRUCTURAL), name
    except LoadError as e:
        assert str(e).startswith(f"load_safetensors: {str(path)!r}: ")
    # agreement with the safetensors library: what it rejects, we reject (we are stricter)
    assert _safetensors_rejects(blob, path) == safetensors_rejects


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"lightgrad.load: no such file: .*nope.st"):
        lightgrad.load(tmp_path / "nope.st")
    with pytest.raises(IsADirectoryError):
        lightgrad.load(tmp_path)


def test_every_truncation_is_rejected(tmp_path):
    blob = _sample_bytes()
    n = struct.unpack("<Q", blob[:8])[0]
    cuts = sorted(set(range(0, 16)) | set(range(n - 4, n + 24)) | {len(blob) - 1}
                  | set(range(16, len(blob), 37)))
    path = tmp_path / "t.st"
    for cut in cuts:
        path.write_bytes(blob[:cut])
        with pytest.raises(LoadError, match="empty|too short|truncated") as info:
            lightgrad.load(path)
        assert repr(str(path)) in str(info.value)
        with pytest.raises(LoadError, match="empty|too short|truncated"):
            lightgrad.load(io.BytesIO(blob[:cut]))


def test_every_header_byte_flip_is_detected(tmp_path):
    """A flipped byte in the header of a lightgrad file is an error (or changes nothing)."""
    blob = _sample_bytes()
    n = struct.unpack("<Q", blob[:8])[0]
    rng = np.random.default_rng(11)
    path = tmp_path / "flip.st"
    want = _sample_state()
    changed = 0
    for pos in range(8 + n):
        for mask in (1 << int(rng.integers(8)), int(rng.integers(1, 256))):
            path.write_bytes(_flip(blob, pos, mask))
            for src in (path, io.BytesIO(_flip(blob, pos, mask))):
                try:
                    got = lightgrad.load(src)
                except LoadError:
                    changed += 1
                    continue
                assert_same(got, want, f"flip at {pos} ^ {mask:#x}")  # e.g. padding ' ' -> '\t'
    assert changed > 3 * n


def test_data_byte_flips_are_detected(tmp_path):
    blob = _sample_bytes()
    n = struct.unpack("<Q", blob[:8])[0]
    for pos in range(8 + n, len(blob)):
        with pytest.raises(LoadError, match="does not match its checksum"):
            lightgrad.load(io.BytesIO(_flip(blob, pos, 1 << (pos % 8))))


def test_plain_file_bit_flips_load_flipped_values_or_fail_cleanly(tmp_path):
    """A plain safetensors file has no checksums: data flips load the flipped values; header
    flips are an error or load something consistent -- never a crash or a raw exception."""
    header, data = _valid_plain()
    blob = st_numpy.save({"a": np.arange(4, dtype=np.float32), "b": np.ones(2, np.int64)})
    n = len(blob) - len(data) - 8
    path = tmp_path / "p.st"
    for pos in range(len(blob)):
        flipped = _flip(blob, pos, 0x10)
        path.write_bytes(flipped)
        try:
            got = lightgrad.load(path)
        except LoadError:
            assert pos < 8 + n, f"data flip at {pos} rejected"
            continue
        if pos >= 8 + n:  # exactly the flipped bytes
            want = st_numpy.load(flipped)
            assert {k: _bits(v.numpy()) for k, v in got.items()} == \
                {k: _bits(v) for k, v in want.items()}


def test_random_garbage_never_escapes_as_a_raw_error(tmp_path):
    """Fuzz: random files and random mutations of valid ones give LoadError or a valid object."""
    rng = np.random.default_rng(5)
    seeds = [_sample_bytes(), st_numpy.save({"x": np.zeros((2, 2), np.float16)})]
    path = tmp_path / "fuzz.st"
    for i in range(300):
        if i % 3 == 0:
            blob = rng.bytes(int(rng.integers(0, 64)))
            if i % 2:
                blob = struct.pack("<Q", len(blob)) + blob
        else:
            blob = bytearray(seeds[i % 2])
            for _ in range(int(rng.integers(1, 6))):
                op = rng.integers(3)
                pos = int(rng.integers(len(blob)))
                if op == 0:
                    blob[pos] = int(rng.integers(256))
                elif op == 1:
                    del blob[pos:pos + int(rng.integers(1, 9))]
                else:
                    blob[pos:pos] = rng.bytes(int(rng.integers(1, 9)))
            blob = bytes(blob)
        path.write_bytes(blob)
        for src in (path, io.BytesIO(blob)):
            try:
                lightgrad.load(src)
            except LoadError:
                pass


def test_huge_claims_are_rejected_before_allocating(tmp_path, monkeypatch):
    real_empty = np.empty
    sizes = []

    def spy(shape, *a, **k):
        sizes.append(math.prod(shape) if isinstance(shape, tuple) else shape)
        return real_empty(shape, *a, **k)

    monkeypatch.setattr(ser.np, "empty", spy)
    for shape, offs in [((2**40,), (0, 2**42)), ((2**20, 2**20), (0, 2**42)),
                        ((2**31,), (0, 2**31))]:
        blob = _pack({"a": _entry("BOOL" if len(offs) and offs[1] == 2**31 else "F32", shape,
                                  offs)}, b"\0" * 16)
        with pytest.raises(LoadError, match="truncated"):
            lightgrad.load(io.BytesIO(blob))
    assert sizes == []


def test_header_checksum_covers_names_dtypes_and_shapes():
    """Same-size edits that keep the header valid JSON are caught by the header checksum."""
    blob = _sample_bytes()
    header, data = _header(blob)
    for edit in [("fc.weight", "fc.weigh2"), ('"I64"', '"F64"'), ('"BOOL"', '"U8"  ')]:
        raw = json.dumps(header).replace(*edit).encode()
        with pytest.raises(LoadError, match="header does not match its checksum"):
            lightgrad.load(io.BytesIO(_pack(raw, data)))


def test_loaded_file_is_a_valid_plain_safetensors_file_for_torch(tmp_path):
    torch = pytest.importorskip("torch")
    import safetensors.torch as st_torch

    state = _sample_state()
    lightgrad.save(state, tmp_path / "m.st")
    tt = st_torch.load_file(tmp_path / "m.st")
    assert tt["mask"].dtype == torch.bool and tt["bn.num_batches_tracked"].dtype == torch.int64
    assert torch.equal(tt["fc.weight"], torch.from_numpy(state["fc.weight"].numpy()))


JUNK = [None, True, -1, 2**70, 1.5, "x", "", [], [1, "a"], {}, {"T": "tensor"},
        {"T": "list", "items": [[]]}, {"T": "float", "value": []}, [[["deep"]]]]


def _mutations(tree):
    """Copies of a JSON tree with one value (at any depth) replaced by each JUNK value."""
    if isinstance(tree, dict):
        slots = list(tree)
    elif isinstance(tree, list):
        slots = list(range(len(tree)))
    else:
        return
    for slot in slots:
        for junk in JUNK:
            copy = json.loads(json.dumps(tree))
            copy[slot] = junk
            yield copy
        for sub in _mutations(tree[slot]):
            copy = json.loads(json.dumps(tree))
            copy[slot] = sub
            yield copy


def test_type_confusion_in_the_header_fails_cleanly():
    """Every header value replaced by values of every other JSON type: LoadError or a dict."""
    header, data = _header(st_numpy.save({"a": np.arange(4, dtype=np.float32),
                                          "b": np.ones(2, bool)}, metadata={"k": "v"}))
    count = 0
    for mutated in _mutations(header):
        try:
            out = lightgrad.load(io.BytesIO(_pack(mutated, data)))
        except LoadError:
            count += 1
            continue
        assert all(type(v) is lightgrad.Tensor for v in out.values())
    assert count > 100


def test_type_confusion_in_the_structure_fails_cleanly():
    """Every structure value replaced (checksums kept valid, as a deliberate attacker would):
    LoadError, or an object of the documented kinds."""
    header, _ = _header(_sample_bytes())
    doc = json.loads(header["__metadata__"]["lightgrad"])
    doc["header_crc32"] = "00000000"
    arrays = {k: v.numpy() for k, v in load_safetensors(io.BytesIO(_sample_bytes())).items()}
    arrays = {k: arrays[k] for k in sorted(arrays)}
    assert_same(lightgrad.load(io.BytesIO(craft(None, arrays, doc=doc))), _sample_state())
    allowed = (type(None), bool, int, float, str, list, tuple, dict, OrderedDict, lightgrad.Size,
               lightgrad.Tensor, np.ndarray, np.generic)
    count = 0
    for mutated in _mutations(doc):
        try:
            out = lightgrad.load(io.BytesIO(craft(None, arrays, doc=mutated)))
        except LoadError:
            count += 1
            continue
        stack = [out]
        while stack:
            x = stack.pop()
            assert isinstance(x, allowed), type(x)
            if isinstance(x, dict):
                stack.extend(x.keys())
                stack.extend(x.values())
            elif isinstance(x, list | tuple):
                stack.extend(x)
    assert count > 500


def test_save_into_a_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="save: the folder .*missing.* does not exist"):
        lightgrad.save({"x": lightgrad.ones(2)}, tmp_path / "missing" / "m.st")
    assert os.listdir(tmp_path) == []
