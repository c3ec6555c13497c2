"""``lightgrad.save`` / ``lightgrad.load``: safetensors arrays, JSON structure, atomic writes.

A saved file is a standard safetensors file, readable by any safetensors reader:

- every tensor or NumPy array in the saved object is one safetensors tensor, named by the dotted
  path of its first occurrence (a ``state_dict``'s keys are kept as they are, so
  ``safetensors.torch.load_file`` gives back the same names);
- ``__metadata__`` holds one string, ``"lightgrad"``: the compact JSON document
  ``{"lightgrad_format": 1, "header_crc32": "<8 hex digits>", "root": <node>,
  "crc32": {tensor name: CRC-32 of its bytes}}``. ``header_crc32`` is the CRC-32 of this
  document (with ``header_crc32`` written as ``"00000000"``) followed by the tensor table
  ``json.dumps(sorted([name, dtype, shape]...), separators=(",", ":"))``: a flipped byte anywhere
  in a lightgrad file is reported, not loaded.

Nodes: ``None``, booleans, integers, finite floats and strings are themselves; every other value
is a JSON object tagged by ``"T"``: ``tensor`` (``name``, optional ``requires_grad``,
``device``), ``ndarray`` (``name``), ``npscalar`` (``dtype``, ``value``), ``float``
(``value``: ``"nan"``, ``"inf"`` or ``"-inf"``), ``list`` / ``tuple`` / ``size`` (``items``),
``dict`` / ``odict`` (``items``: ``[key, value]`` pairs, so keys keep their types and order).

Loading never unpickles, imports or calls anything named by the file: the structure is decoded
by a fixed table of the node kinds above, and every number in the header is checked against the
file's size before anything is allocated. The header must follow the safetensors format
strictly (it is checked here first, then by the safetensors library for paths); a lightgrad file
whose structure misses a tensor, or holds a tensor that the structure never uses, is an error.
A safetensors file without lightgrad metadata (any other writer) loads as a flat
``{name: tensor}`` dict.
"""

from __future__ import annotations

import io
import json
import math
import os
import zlib
from collections import OrderedDict
from collections.abc import Mapping
from typing import IO, Any

import numpy as np
import safetensors

from .. import backend
from ..tensor import Size, Tensor
from .atomic import atomic_write

__all__ = ["save", "load"]

FORMAT_VERSION = 1
#: the largest header accepted (safetensors' own limit): bigger claims are rejected unread
MAX_HEADER_BYTES = 100_000_000
#: the deepest nesting of lists/dicts/tuples saved or loaded
MAX_DEPTH = 100
#: the most dimensions a tensor may have (NumPy's limit)
MAX_NDIM = 64

FileLike = str | os.PathLike | IO[bytes]

_ST_TO_NP: dict[str, np.dtype] = {
    "F16": backend.float16, "F32": backend.float32, "F64": backend.float64,
    "I8": backend.int8, "I16": backend.int16, "I32": backend.int32, "I64": backend.int64,
    "U8": backend.uint8, "BOOL": backend.bool_,
}
_NP_TO_ST = {v: k for k, v in _ST_TO_NP.items()}
# valid safetensors dtypes that lightgrad has no dtype for (a clearer message than "unknown")
_ST_OTHER = frozenset({"BF16", "U16", "U32", "U64", "C64", "F8_E4M3", "F8_E5M2", "F8_E8M0",
                       "F4", "F6_E2M3", "F6_E3M2", "F8_E4M3FNUZ", "F8_E5M2FNUZ"})
_NP_NAMES = {str(d): d for d in _NP_TO_ST}
_ENTRY_KEYS = frozenset({"dtype", "shape", "data_offsets"})
_META_KEY = "lightgrad"
_DOC_PREFIX = '{"lightgrad_format":'
_CRC_FIELD = '"header_crc32":"{}"'
_DOC_KEYS = frozenset({"lightgrad_format", "header_crc32", "root", "crc32"})
_NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}

# the I/O steps of an atomic save, module attributes so that tests can make each one fail
_serialize_file = safetensors.serialize_file


class LoadError(ValueError):
    """A file given to :func:`lightgrad.load` is not a valid lightgrad/safetensors file.

    Raised for truncated, corrupt (bit-flipped), oversized, inconsistent or hostile files and for
    files in other formats (pickles, zip archives); the message names the file and the problem.
    """


# ============================================================================== save
class _Encoder:
    """Turns a Python object into a JSON node tree plus the arrays it references."""

    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self._shared: dict[int, dict] = {}  # id(tensor/array) -> its node: stored once
        self._alive: list[Any] = []  # keeps ids unique while encoding
        self._open: set[int] = set()  # containers on the current path (cycle detection)

    def _name(self, path: str) -> str:
        base = path or "tensor"
        try:
            base.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: not a valid safetensors name
            base = f"tensor_{len(self.arrays)}"
        name, i = base, 0
        while name in self.arrays or name == "__metadata__":
            i += 1
            name = f"{base}~{i}"
        return name

    def _array(self, obj: Any, arr: Any, path: str, where: str) -> str | None:
        """Register ``arr`` (host, contiguous, little-endian); ``None`` if the object was seen."""
        if id(obj) in self._shared:
            return None
        if isinstance(arr, np.ndarray) and arr.dtype.byteorder == ">":
            arr = arr.astype(arr.dtype.newbyteorder("="))
        if not isinstance(arr, np.ndarray) or arr.dtype not in _NP_TO_ST:
            dt = getattr(arr, "dtype", type(arr).__name__)
            raise TypeError(f"save: {where} is an array of dtype {dt}, which cannot be saved "
                            f"(supported: {', '.join(sorted(_NP_NAMES))})")
        name = self._name(path)
        self.arrays[name] = _contiguous(arr)
        return name

    def encode(self, obj: Any, path: str, where: str, depth: int) -> Any:
        if obj is None:
            return None
        if isinstance(obj, np.generic):  # before float: np.float64 is a float subclass
            if obj.dtype not in _NP_TO_ST:
                raise TypeError(f"save: {where} is a NumPy scalar of dtype {obj.dtype}, which "
                                f"cannot be saved (supported: {', '.join(sorted(_NP_NAMES))})")
            value = obj.item()
            return {"T": "npscalar", "dtype": str(obj.dtype),
                    "value": _encode_float(value) if isinstance(value, float) else value}
        if isinstance(obj, bool):
            return bool(obj)
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            return _encode_float(float(obj))
        if isinstance(obj, str):
            return str(obj)
        if isinstance(obj, Tensor):
            name = self._array(obj, backend.to_device(obj.data, backend.CPU), path, where)
            if name is None:
                return self._shared[id(obj)]
            node: dict[str, Any] = {"T": "tensor", "name": name}
            if obj.requires_grad:
                node["requires_grad"] = True
            if obj.device != backend.CPU:
                node["device"] = str(obj.device)
            return self._remember(obj, node)
        if isinstance(obj, np.ndarray):
            name = self._array(obj, obj, path, where)
            if name is None:
                return self._shared[id(obj)]
            return self._remember(obj, {"T": "ndarray", "name": name})
        if isinstance(obj, Mapping | list | tuple):
            return self._container(obj, path, where, depth)
        hint = ""
        if hasattr(obj, "state_dict"):
            hint = ("; lightgrad.save stores data, never code or objects: save its state_dict() "
                    "and restore it with load_state_dict(lightgrad.load(f))")
        raise TypeError(f"save: cannot save {where} of type {type(obj).__name__} (supported: "
                        f"tensors, NumPy arrays, numbers, strings, None, and dicts, lists and "
                        f"tuples of them){hint}")

    def _remember(self, obj: Any, node: dict) -> dict:
        self._shared[id(obj)] = node
        self._alive.append(obj)
        return node

    def _container(self, obj: Any, path: str, where: str, depth: int) -> dict:
        if depth >= MAX_DEPTH:
            raise ValueError(f"save: {where} is nested more than {MAX_DEPTH} levels deep")
        if id(obj) in self._open:
            raise ValueError(f"save: {where} contains itself (a reference cycle); lightgrad.save "
                             "stores trees of values")
        self._open.add(id(obj))
        try:
            if isinstance(obj, Mapping):
                items = []
                for k, v in obj.items():
                    key = self._key(k, where, depth)
                    comp = k if isinstance(k, str) else repr(k) if not isinstance(k, int) else k
                    items.append([key, self.encode(v, _join(path, comp), f"{where}[{k!r}]",
                                                   depth + 1)])
                return {"T": "odict" if isinstance(obj, OrderedDict) else "dict", "items": items}
            kind = "size" if isinstance(obj, Size) else "list" if isinstance(obj, list) else "tuple"
            return {"T": kind, "items": [self.encode(v, _join(path, i), f"{where}[{i}]", depth + 1)
                                         for i, v in enumerate(obj)]}
        finally:
            self._open.discard(id(obj))

    def _key(self, k: Any, where: str, depth: int) -> Any:
        if k is None or isinstance(k, bool | int | float | str | np.generic):
            return self.encode(k, "", where, depth)
        if isinstance(k, tuple) and depth < MAX_DEPTH:
            return {"T": "tuple", "items": [self._key(x, where, depth + 1) for x in k]}
        raise TypeError(f"save: {where} has a key {k!r} of type {type(k).__name__}; dict keys "
                        "must be strings, numbers, booleans, None or tuples of them")


def _contiguous(arr: np.ndarray) -> np.ndarray:
    # not np.ascontiguousarray: it turns a 0-d array into shape (1,)
    return arr if arr.flags.c_contiguous else arr.copy(order="C")


def _join(path: str, comp: Any) -> str:
    return f"{path}.{comp}" if path else str(comp)


def _encode_float(x: float) -> Any:
    if math.isfinite(x):
        return x
    return {"T": "float", "value": "nan" if x != x else "inf" if x > 0 else "-inf"}


def _header_crc(text: str, table: list[tuple[str, str, list[int]]]) -> int:
    """CRC-32 of the document (its own checksum field zeroed) and the tensor table by name."""
    canon = json.dumps(sorted(table), separators=(",", ":"))
    return zlib.crc32(canon.encode(), zlib.crc32(text.encode("utf-8", "surrogatepass")))


def _build(obj: Any) -> tuple[dict[str, Any], dict[str, str], dict[str, np.ndarray]]:
    """The safetensors specs, the metadata and the arrays (kept alive by the caller)."""
    enc = _Encoder()
    root = enc.encode(obj, "", "obj", 0)
    crcs = {name: zlib.crc32(arr.data) for name, arr in enc.arrays.items()}
    zero = "0" * 8
    text = json.dumps({"lightgrad_format": FORMAT_VERSION, "header_crc32": zero, "root": root,
                       "crc32": crcs}, allow_nan=False, separators=(",", ":"))
    table = [(n, _NP_TO_ST[a.dtype], list(a.shape)) for n, a in enc.arrays.items()]
    crc = f"{_header_crc(text, table):08x}"
    # one metadata string: safetensors writes metadata keys in a random order, and one key
    # keeps the file's bytes reproducible
    meta = {_META_KEY: text.replace(_CRC_FIELD.format(zero), _CRC_FIELD.format(crc), 1)}
    return _specs(enc.arrays), meta, enc.arrays


def _specs(arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    return {name: safetensors.TensorSpec(dtype=a.dtype.name, shape=a.shape,
                                         data_ptr=a.ctypes.data, data_len=a.nbytes)
            for name, a in arrays.items()}


def _write(specs: dict[str, Any], meta: dict[str, str] | None, f: FileLike) -> None:
    if isinstance(f, str | os.PathLike):
        atomic_write(f, lambda tmp: _serialize_file(specs, tmp, metadata=meta))
        return
    if not hasattr(f, "write") or isinstance(f, io.TextIOBase):
        raise TypeError(f"save: f must be a path or a binary file object opened for writing, "
                        f"got {type(f).__name__}")
    f.write(safetensors.serialize(specs, metadata=meta))
    flush = getattr(f, "flush", None)
    if flush is not None:
        flush()


def save(obj: Any, f: FileLike) -> None:
    """Save tensors, state dicts and nested containers to a safetensors file (no pickle).

    ``obj`` may be a tensor, a NumPy array, a number, a string, ``None``, or a dict (``OrderedDict``
    kept as such; keys: strings, numbers, booleans, ``None`` or tuples of them), list or tuple of
    these, nested up to 100 levels: a module's ``state_dict()`` or an optimizer's. Parameters
    are saved as tensors (their ``requires_grad`` flag is kept); NumPy arrays and NumPy scalars
    come back as NumPy arrays and scalars; namedtuples and dict subclasses other than
    ``OrderedDict`` come back as plain tuples and dicts; a tensor referenced twice is stored once
    and comes back as one object. Dtypes, shapes (0-d, size 0) and values are kept bitwise;
    non-contiguous tensors are saved as their contiguous copy.

    Args:
        obj: the object to save.
        f: a path (the write is atomic: a temporary file in the same folder is flushed, fsynced
            and renamed onto ``f``, so a crash leaves the previous file intact), or a binary file
            object opened for writing (the bytes are written at its position).

    Raises:
        TypeError: an object, key or dtype that cannot be saved (the message gives its path).
        ValueError: a reference cycle, or nesting deeper than 100 levels.

    Example:
        >>> import io, lightgrad
        >>> buf = io.BytesIO()
        >>> lightgrad.save({"w": lightgrad.ones(2), "step": 3}, buf)
        >>> _ = buf.seek(0)
        >>> lightgrad.load(buf)
        {'w': tensor([1., 1.]), 'step': 3}
    """
    specs, meta, arrays = _build(obj)
    _write(specs, meta, f)
    del arrays  # the specs point into these arrays: they must outlive the write


def save_safetensors(tensors: Mapping[str, Any], f: FileLike,
                     metadata: Mapping[str, str] | None = None) -> None:
    """Save a flat ``{name: tensor or array}`` dict as a plain safetensors file.

    The file carries no lightgrad structure, exactly like ``safetensors.torch.save_file``: any
    safetensors reader (PyTorch, NumPy, JAX...) loads it by name. Writes to a path are atomic.

    Args:
        tensors: names (strings) to lightgrad tensors or NumPy arrays.
        f: a path or a binary file object.
        metadata: optional free-form string annotations stored in the header.

    Example:
        >>> import io, lightgrad
        >>> buf = io.BytesIO()
        >>> lightgrad.io.save_safetensors({"w": lightgrad.zeros(2, 3)}, buf)
        >>> _ = buf.seek(0)
        >>> lightgrad.io.load_safetensors(buf)["w"].shape
        lightgrad.Size([2, 3])
    """
    if not isinstance(tensors, Mapping):
        raise TypeError(f"save_safetensors: expected a dict of tensors, got "
                        f"{type(tensors).__name__}")
    arrays: dict[str, np.ndarray] = {}
    for name, t in tensors.items():
        if not isinstance(name, str) or name == "__metadata__":
            raise TypeError(f"save_safetensors: tensor names must be strings other than "
                            f"'__metadata__', got {name!r}")
        if isinstance(t, Tensor):
            arr = backend.to_device(t.data, backend.CPU)
        elif isinstance(t, np.ndarray):
            arr = t.astype(t.dtype.newbyteorder("=")) if t.dtype.byteorder == ">" else t
        else:
            raise TypeError(f"save_safetensors: tensors[{name!r}] is a "
                            f"{type(t).__name__}, expected a Tensor or a NumPy array")
        if arr.dtype not in _NP_TO_ST:
            raise TypeError(f"save_safetensors: tensors[{name!r}] has dtype {arr.dtype}, which "
                            f"cannot be saved (supported: {', '.join(sorted(_NP_NAMES))})")
        arrays[name] = _contiguous(arr)
    meta = None
    if metadata is not None:
        meta = dict(metadata)
        for k, v in meta.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TypeError(f"save_safetensors: metadata must map strings to strings, got "
                                f"{k!r}: {v!r}")
        if _META_KEY in meta or any(v.startswith(_DOC_PREFIX) for v in meta.values()):
            raise ValueError(f"save_safetensors: the metadata key {_META_KEY!r} (and values "
                             f"starting with {_DOC_PREFIX!r}) are reserved for lightgrad.save")
    _write(_specs(arrays), meta, f)
    del arrays


# ============================================================================== load
class _Source:
    """A binary stream positioned at the start of the file, with the bytes available."""

    def __init__(self, f: FileLike) -> None:
        self.own = False
        self.path: str | None = None
        if isinstance(f, str | os.PathLike):
            self.path = os.fsdecode(os.fspath(f))
            self.name = repr(self.path)
            try:
                self.fh: Any = open(self.path, "rb")
            except FileNotFoundError:
                raise FileNotFoundError(2, "lightgrad.load: no such file", self.path) from None
            self.own = True
            self.size = os.fstat(self.fh.fileno()).st_size
            self.exact = True  # the file must end where the data ends
            return
        if isinstance(f, io.TextIOBase) or not hasattr(f, "read"):
            raise TypeError(f"load: f must be a path or a binary file object (open(path, 'rb')), "
                            f"got {type(f).__name__}")
        fname = getattr(f, "name", None)
        self.name = repr(fname) if isinstance(fname, str) else f"<{type(f).__name__}>"
        self.exact = False  # a stream may hold more after the file (several saves in a row)
        try:
            if not f.seekable() or not hasattr(f, "readinto"):
                raise io.UnsupportedOperation
            pos = f.tell()
            f.seek(0, io.SEEK_END)
            self.size = f.tell() - pos
            f.seek(pos)
            self.fh = f
        except (AttributeError, OSError, io.UnsupportedOperation):
            data = f.read()  # a pipe, a socket: what is there is all there is
            if not isinstance(data, bytes | bytearray):
                raise TypeError(f"load: {self.name} is not a binary file object (read() gave "
                                f"{type(data).__name__})") from None
            self.fh, self.size = io.BytesIO(data), len(data)

    def close(self) -> None:
        if self.own:
            self.fh.close()

    def read(self, n: int) -> bytes:
        out = self.fh.read(n)
        if not isinstance(out, bytes | bytearray):
            raise TypeError(f"load: {self.name} is not a binary file object (read() gave "
                            f"{type(out).__name__})")
        while len(out) < n:  # raw streams may return short reads
            more = self.fh.read(n - len(out))
            if not more:
                break
            out += more
        return bytes(out)

    def readinto(self, buf: memoryview) -> int:
        got = 0
        while got < len(buf):
            n = self.fh.readinto(buf[got:])
            if not n:
                break
            got += n
        return got


class _Entry:
    __slots__ = ("name", "st_dtype", "dtype", "shape", "begin", "end", "index")

    def __init__(self, name: str, st_dtype: str, shape: tuple[int, ...], begin: int,
                 end: int, index: int) -> None:
        self.name, self.st_dtype, self.dtype = name, st_dtype, _ST_TO_NP[st_dtype]
        self.shape, self.begin, self.end, self.index = shape, begin, end, index


def _strict_json(text: str, err: Any, what: str) -> Any:
    """``json.loads`` that rejects NaN/Infinity constants and duplicate keys."""

    def pairs(kv: list[tuple[str, Any]]) -> dict:
        out: dict[str, Any] = {}
        for k, v in kv:
            if k in out:
                raise err(f"{what} has the key {k!r} twice")
            out[k] = v
        return out

    def no_constants(c: str) -> Any:
        raise err(f"{what} contains {c}, which is not JSON")

    try:
        return json.loads(text, object_pairs_hook=pairs, parse_constant=no_constants)
    except LoadError:
        raise
    except RecursionError:
        raise err(f"{what} is nested too deeply") from None
    except ValueError as e:  # JSONDecodeError, an integer with too many digits
        raise err(f"{what} is not valid JSON ({e})") from None


def _sniff(head: bytes) -> str | None:
    """Name what a file that is not safetensors looks like, from its first bytes."""
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return ("not a lightgrad/safetensors file (looks like a pickle; lightgrad never "
                "unpickles): in PyTorch, re-save it with "
                "safetensors.torch.save_file(state_dict, path)")
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return ("not a lightgrad/safetensors file (it is a zip archive, like PyTorch's torch.save "
                "output, which holds a pickle; lightgrad never unpickles): in PyTorch, re-save "
                "it with safetensors.torch.save_file(state_dict, path)")
    if head[:6] == b"\x93NUMPY":
        return "not a lightgrad/safetensors file (it is a NumPy .npy file: use numpy.load)"
    if head[:2] == b"\x1f\x8b":
        return "not a lightgrad/safetensors file (it is gzip-compressed)"
    if head[:4] == b"\x89HDF":
        return "not a lightgrad/safetensors file (it is an HDF5 file)"
    if head[:1] in (b"{", b"[", b"<", b"#") or head[:2] == b"\xef\xbb":
        return "not a lightgrad/safetensors file (it looks like a text file)"
    return None


def _read_header(src: _Source, err: Any) -> tuple[list[_Entry], dict | None, int]:
    """Parse and check the header: the entries in data order, the metadata, the data length."""
    head = src.read(8)
    if not head:
        raise err("the file is empty (0 bytes)")
    if len(head) < 8:
        raise err(_sniff(head) or f"the file is too short ({len(head)} bytes) to be a "
                  "safetensors file (which starts with an 8-byte header length)")
    n = int.from_bytes(head, "little")
    if n > MAX_HEADER_BYTES or n > src.size - 8 or n < 2:
        if (what := _sniff(head)) is not None:
            raise err(what)
        if n > MAX_HEADER_BYTES:
            raise err(f"the header length {n} is larger than the {MAX_HEADER_BYTES}-byte limit "
                      "(not a safetensors file, or a hostile one)")
        if n < 2:
            raise err(f"the header length {n} is too small for a JSON header")
        raise err(f"the file is truncated: the header length is {n} bytes but only "
                  f"{src.size - 8} bytes follow")
    raw = src.read(n)
    if len(raw) < n:
        raise err(f"the file is truncated inside the {n}-byte header")
    if raw[:1] != b"{":
        raise err(_sniff(head) or "the header does not start with '{' (not a safetensors file)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise err(f"the header is not valid UTF-8 ({e})") from None
    header = _strict_json(text, err, "the header")
    if not isinstance(header, dict):
        raise err(f"the header is a JSON {type(header).__name__}, not an object")
    meta = None
    entries: list[_Entry] = []
    for name, info in header.items():
        if name == "__metadata__":
            if not isinstance(info, dict) or not all(isinstance(v, str) for v in info.values()):
                raise err("the header's __metadata__ is not an object of strings")
            meta = info
            continue
        entries.append(_check_entry(name, info, len(entries), err))
    entries.sort(key=lambda e: (e.begin, e.end))
    pos, prev = 0, None
    for ent in entries:
        if ent.begin < pos and prev is not None:
            raise err(f"tensors {prev.name!r} and {ent.name!r} overlap: data_offsets "
                      f"[{prev.begin}, {prev.end}] and [{ent.begin}, {ent.end}]")
        if ent.begin > pos:
            raise err(f"tensor {ent.name!r} starts at byte {ent.begin} of the data but the "
                      f"previous tensor ends at {pos} (a gap: the data_offsets are inconsistent)")
        pos, prev = ent.end, ent
    avail = src.size - 8 - n
    if pos > avail:
        raise err(f"the file is truncated (or its offsets are out of range): the header "
                  f"describes {pos} bytes of tensor data but only {avail} bytes follow it")
    if src.exact and pos < avail:
        raise err(f"the file has {avail - pos} unexpected bytes after the tensor data "
                  f"(the header describes {pos} bytes, {avail} follow it)")
    return entries, meta, pos


def _check_entry(name: str, info: Any, index: int, err: Any) -> _Entry:
    if not isinstance(info, dict) or set(info) != _ENTRY_KEYS:
        got = sorted(info) if isinstance(info, dict) else type(info).__name__
        raise err(f"tensor {name!r}: the header entry must have exactly the keys dtype, shape "
                  f"and data_offsets, got {got}")
    dt, shape, offs = info["dtype"], info["shape"], info["data_offsets"]
    if not isinstance(dt, str) or dt not in _ST_TO_NP:
        if isinstance(dt, str) and dt in _ST_OTHER:
            raise err(f"tensor {name!r} has dtype {dt}, which lightgrad does not support "
                      f"(supported: {', '.join(_ST_TO_NP)})")
        raise err(f"tensor {name!r} has an unknown dtype {dt!r}")
    if (not isinstance(shape, list) or len(shape) > MAX_NDIM
            or not all(type(s) is int and s >= 0 for s in shape)):
        raise err(f"tensor {name!r} has an invalid shape {shape!r} (expected a list of at most "
                  f"{MAX_NDIM} non-negative integers)")
    if (not isinstance(offs, list) or len(offs) != 2
            or not all(type(o) is int and o >= 0 for o in offs) or offs[0] > offs[1]):
        raise err(f"tensor {name!r} has invalid data_offsets {offs!r} (expected [begin, end] "
                  "with 0 <= begin <= end)")
    nbytes = math.prod(shape) * _ST_TO_NP[dt].itemsize  # Python ints: no overflow
    if nbytes != offs[1] - offs[0]:
        raise err(f"tensor {name!r}: shape {tuple(shape)} of {dt} needs {nbytes} bytes but its "
                  f"data_offsets {offs} span {offs[1] - offs[0]}")
    return _Entry(name, dt, tuple(shape), offs[0], offs[1], index)


def _cross_check(path: str, entries: list[_Entry], meta: dict | None, err: Any) -> None:
    """A second opinion from the safetensors library itself (headers only, no data read)."""
    try:
        with safetensors.safe_open(path, framework="np") as h:
            keys, their_meta = set(h.keys()), h.metadata()
    except Exception as e:  # SafetensorError and friends: never let them escape raw
        raise err(f"safetensors rejects the file: {e}") from None
    if keys != {e.name for e in entries} or (their_meta or None) != (meta or None):
        raise err("safetensors reads a different header (the file changed while loading?)")


def _read_arrays(src: _Source, entries: list[_Entry], crcs: dict | None,
                 err: Any) -> dict[str, np.ndarray]:
    """Read the tensors in data order (the data is contiguous, so this reads sequentially),
    checking them against their checksums (``crcs``: lightgrad files)."""
    arrays = {}
    for e in entries:
        arr = np.empty(e.shape, e.dtype)
        if arr.nbytes:
            if src.readinto(arr.data.cast("B")) != arr.nbytes:
                raise err(f"the file is truncated inside tensor {e.name!r}")
        if crcs is not None and zlib.crc32(arr.data) != crcs[e.name]:
            raise err(f"tensor {e.name!r}: the data does not match its checksum (the file is "
                      "corrupt)")
        if arr.nbytes:
            if e.dtype == backend.bool_ and arr.view(np.uint8).max() > 1:
                raise err(f"tensor {e.name!r} (BOOL) holds bytes other than 0 and 1")
        arrays[e.name] = arr
    return arrays


class _Decoder:
    """Rebuilds the saved object from the JSON structure: a fixed table of node kinds."""

    def __init__(self, arrays: dict[str, np.ndarray], devices: Any, err: Any) -> None:
        self.arrays, self.devices, self.err = arrays, devices, err
        self.made: dict[str, tuple[dict, Any]] = {}  # name -> (its node, the object made)

    def fail(self, where: str, what: str) -> LoadError:
        return self.err(f"the structure at {where} {what}")

    def node(self, n: Any, where: str, depth: int) -> Any:
        if n is None or isinstance(n, bool | int | float | str):
            return n
        if not isinstance(n, dict):
            raise self.fail(where, f"is a JSON {type(n).__name__}, not a tagged object")
        kind = n.get("T")
        if kind in ("list", "tuple", "size", "dict", "odict"):
            self._keys(n, where, ("T", "items"))
            items = n["items"]
            if not isinstance(items, list):
                raise self.fail(where, "has 'items' that is not a list")
            if depth >= MAX_DEPTH:
                raise self.fail(where, f"is nested more than {MAX_DEPTH} levels deep")
            if kind in ("dict", "odict"):
                return self._dict(items, kind, where, depth)
            vals = [self.node(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(items)]
            if kind == "size":
                if not all(type(v) is int and v >= 0 for v in vals):
                    raise self.fail(where, "is a Size with entries that are not sizes")
                return Size(vals)
            return vals if kind == "list" else tuple(vals)
        if kind == "float":
            self._keys(n, where, ("T", "value"))
            if not isinstance(n["value"], str) or n["value"] not in _NONFINITE:
                raise self.fail(where, f"is a float with an invalid value {n['value']!r}")
            return _NONFINITE[n["value"]]
        if kind == "npscalar":
            return self._npscalar(n, where)
        if kind in ("tensor", "ndarray"):
            return self._tensor(n, kind, where)
        raise self.fail(where, f"has an unknown kind {kind!r}")

    def _keys(self, n: dict, where: str, required: tuple[str, ...],
              optional: tuple[str, ...] = ()) -> None:
        keys = set(n)
        if not set(required) <= keys or not keys <= set(required) | set(optional):
            raise self.fail(where, f"({n.get('T')!r}) has keys {sorted(keys)}, expected "
                            f"{sorted(required)}" + (f" and optionally {list(optional)}"
                                                     if optional else ""))

    def _dict(self, items: list, kind: str, where: str, depth: int) -> dict:
        out: dict = OrderedDict() if kind == "odict" else {}
        for i, pair in enumerate(items):
            if not isinstance(pair, list) or len(pair) != 2:
                raise self.fail(f"{where}.items[{i}]", "is not a [key, value] pair")
            key = self._key(pair[0], f"{where}.items[{i}]", depth + 1)
            if key in out:
                raise self.fail(where, f"has the key {key!r} twice")
            out[key] = self.node(pair[1], f"{where}[{key!r}]", depth + 1)
        return out

    def _key(self, n: Any, where: str, depth: int) -> Any:
        if depth >= MAX_DEPTH:
            raise self.fail(where, f"is nested more than {MAX_DEPTH} levels deep")
        if isinstance(n, dict) and n.get("T") == "tuple":
            self._keys(n, where, ("T", "items"))
            if not isinstance(n["items"], list):
                raise self.fail(where, "has 'items' that is not a list")
            return tuple(self._key(x, where, depth + 1) for x in n["items"])
        if isinstance(n, dict) and n.get("T") == "float":
            return self.node(n, where, depth)
        if isinstance(n, dict) and n.get("T") == "npscalar":
            return self._npscalar(n, where)
        if n is None or isinstance(n, bool | int | float | str):
            return n
        raise self.fail(where, "is a dict key that is not a string, number, boolean, None or "
                        "tuple")

    def _npscalar(self, n: dict, where: str) -> Any:
        self._keys(n, where, ("T", "dtype", "value"))
        dt = _NP_NAMES.get(n["dtype"]) if isinstance(n["dtype"], str) else None
        if dt is None:
            raise self.fail(where, f"is a NumPy scalar with an invalid dtype {n['dtype']!r}")
        v = n["value"]
        if isinstance(v, dict):
            v = self.node(v, where, 0) if v.get("T") == "float" else None
        ok = {"b": (bool,), "i": (int,), "u": (int,), "f": (int, float)}[dt.kind]
        if type(v) not in ok:
            raise self.fail(where, f"is a {dt} scalar with a value of type {type(v).__name__}")
        if dt.kind in "iu" and not np.iinfo(dt).min <= v <= np.iinfo(dt).max:
            raise self.fail(where, f"is a {dt} scalar with the out-of-range value {v}")
        with np.errstate(over="ignore"):  # a float64 value saved from float16/32 fits exactly
            return dt.type(v)

    def _tensor(self, n: dict, kind: str, where: str) -> Any:
        if kind == "tensor":
            self._keys(n, where, ("T", "name"), ("requires_grad", "device"))
        else:
            self._keys(n, where, ("T", "name"))
        name = n["name"]
        if not isinstance(name, str) or name not in self.arrays:
            raise self.fail(where, f"refers to a tensor {name!r} that is not in the file")
        if name in self.made:
            first, obj = self.made[name]
            if first != n:
                raise self.fail(where, f"refers to tensor {name!r} again with different "
                                f"attributes ({first} vs {n})")
            return obj
        arr = self.arrays[name]
        if kind == "ndarray":
            self.made[name] = (n, arr)
            return arr
        rg, dev = n.get("requires_grad", False), n.get("device", "cpu")
        if rg is not True and rg is not False:
            raise self.fail(where, f"has requires_grad {rg!r}, not a boolean")
        if rg and arr.dtype.kind != "f":
            raise self.fail(where, f"asks for requires_grad on a {arr.dtype} tensor")
        try:
            saved = backend.Device(dev)
        except (RuntimeError, TypeError):
            raise self.fail(where, f"has an invalid device {dev!r}") from None
        device = self.devices(saved)
        if device.type != "cpu" and not backend.cuda_is_available():
            raise RuntimeError(f"load: tensor {name!r} is to be loaded on {device}, but CUDA is "
                               "not available; pass map_location='cpu'")
        t = Tensor._make(backend.to_device(arr, device))
        if rg:
            t.requires_grad_(True)
        self.made[name] = (n, t)
        return t


def _device_map(map_location: Any) -> Any:
    """A function from the saved device to the device to load on."""
    if map_location is None:
        return lambda d: d
    if isinstance(map_location, str | backend.Device):
        dev = backend.Device(map_location)
        return lambda d: dev
    if isinstance(map_location, Mapping):
        table = {backend.Device(k): backend.Device(v) for k, v in map_location.items()}
        return lambda d: table.get(d, d)
    raise TypeError(f"load: map_location must be None, a device string, a lightgrad.device or a "
                    f"dict from device strings to device strings (callables are not supported), "
                    f"got {type(map_location).__name__}")


def _load(f: FileLike, map_location: Any, flat: bool) -> Any:
    devices = _device_map(map_location)
    src = _Source(f)
    prefix = "lightgrad.load" if not flat else "load_safetensors"

    def err(what: str) -> LoadError:
        return LoadError(f"{prefix}: {src.name}: {what}")

    try:
        entries, meta, _ = _read_header(src, err)
        doc = _check_meta(meta, entries, err)
        if src.path is not None:
            _cross_check(src.path, entries, meta, err)
        arrays = _read_arrays(src, entries, None if doc is None else doc["crc32"], err)
    finally:
        src.close()
    if doc is None or flat:
        dec = _Decoder(arrays, devices, err)
        return {e.name: dec._tensor({"T": "tensor", "name": e.name}, "tensor", repr(e.name))
                for e in sorted(entries, key=lambda e: e.index)}  # in the header's order
    dec = _Decoder(arrays, devices, err)
    out = dec.node(doc["root"], "root", 0)
    unused = [name for name in arrays if name not in dec.made]
    if unused:
        raise err(f"the file holds tensor(s) that the structure never uses: "
                  f"{', '.join(repr(u) for u in unused[:5])}" + (" ..." if len(unused) > 5 else ""))
    return out


def _check_meta(meta: dict | None, entries: list[_Entry], err: Any) -> dict | None:
    """The lightgrad document of a lightgrad file (checked), ``None`` for a plain file."""
    if meta is None:
        return None
    text = meta.get(_META_KEY)
    if text is None:
        # a damaged key must not turn a lightgrad file into a plain one: look at the values too
        if any(v.startswith(_DOC_PREFIX) for v in meta.values()):
            raise err(f"the lightgrad metadata is damaged: its key is not {_META_KEY!r}")
        return None
    doc = _strict_json(text, err, "the lightgrad metadata")
    if not isinstance(doc, dict):
        raise err(f"the lightgrad metadata is a JSON {type(doc).__name__}, not an object")
    version = doc.get("lightgrad_format")
    if version is None:
        raise err("the lightgrad metadata has no lightgrad_format version")
    if type(version) is not int or version != FORMAT_VERSION:
        raise err(f"unknown lightgrad_format version {version!r} (this lightgrad reads version "
                  f"{FORMAT_VERSION}; was the file written by a newer lightgrad?)")
    if set(doc) != _DOC_KEYS:
        raise err(f"the lightgrad metadata has keys {sorted(doc)}, expected "
                  f"{sorted(_DOC_KEYS)}")
    crc = doc["header_crc32"]
    field = _CRC_FIELD.format(crc)
    if (not isinstance(crc, str) or len(crc) != 8 or any(c not in "0123456789abcdef" for c in crc)
            or field not in text):
        raise err(f"the lightgrad header checksum {crc!r} is not 8 hex digits")
    table = [(e.name, e.st_dtype, list(e.shape)) for e in entries]
    if _header_crc(text.replace(field, _CRC_FIELD.format("0" * 8), 1), table) != int(crc, 16):
        raise err("the header does not match its checksum (the file is corrupt)")
    crcs = doc["crc32"]
    names = {e.name for e in entries}
    if not isinstance(crcs, dict) or set(crcs) != names or not all(
            type(c) is int and 0 <= c < 2**32 for c in crcs.values()):
        raise err("the lightgrad metadata's crc32 table does not list exactly the file's tensors")
    return doc


def load(f: FileLike, map_location: Any = None, weights_only: bool = True) -> Any:
    """Load an object saved by :func:`save`, or the tensors of any safetensors file.

    A lightgrad file gives back the saved object; a plain safetensors file (e.g. from
    ``safetensors.torch.save_file(torch_model.state_dict(), path)``) gives a ``dict`` from tensor
    names to tensors, ready for ``module.load_state_dict``. Every byte of the file is checked:
    the header against the file's size and the format, the data against its checksums (lightgrad
    files). Nothing in the file is ever executed, imported or unpickled.

    Args:
        f: a path or a binary file object (read from its current position).
        map_location: where tensors go: ``None`` (the device they were saved from), a device
            (``"cpu"``, ``"cuda"``, ``lightgrad.device(...)``) or a dict from saved device
            strings to devices (``{"cuda:0": "cpu"}``). NumPy arrays always stay on the CPU.
        weights_only: accepted for PyTorch compatibility; lightgrad files can only hold data,
            so loading is always as safe as PyTorch's ``weights_only=True``.

    Raises:
        FileNotFoundError: no file at ``f``.
        LoadError: (a ``ValueError``) the file is not a valid lightgrad/safetensors file:
            empty, truncated, corrupt, inconsistent, hostile, or another format (pickle, zip).
        RuntimeError: a tensor saved on CUDA without CUDA available (pass ``map_location``).

    Example:
        >>> import io, lightgrad
        >>> buf = io.BytesIO()
        >>> lightgrad.save({0: {"step": 2, "lr": 0.1}}, buf)
        >>> _ = buf.seek(0)
        >>> lightgrad.load(buf)
        {0: {'step': 2, 'lr': 0.1}}
    """
    if not isinstance(weights_only, bool):
        raise TypeError(f"load: weights_only must be a bool, got {type(weights_only).__name__}")
    return _load(f, map_location, flat=False)


def load_safetensors(f: FileLike, device: Any = None) -> dict[str, Tensor]:
    """The tensors of a safetensors file as a flat ``{name: tensor}`` dict (any writer).

    For a file written by :func:`lightgrad.save` this gives the stored tensors under their
    file names (checksums verified), without the saved structure.

    Args:
        f: a path or a binary file object.
        device: where to put the tensors (default: the CPU).

    Raises:
        LoadError: the file is not a valid safetensors file (see :func:`load`).
    """
    return _load(f, "cpu" if device is None else device, flat=True)
