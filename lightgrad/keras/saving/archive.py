"""The ``.keras`` zip archive: atomic writes and a defensive reader.

A ``.keras`` file is a plain zip holding a fixed set of members (see :data:`MEMBERS`). The reader
trusts nothing in it: it accepts only those member names (no folders, no ``..``, no absolute
paths, no duplicates), only stored or deflated members, no encryption, and it bounds every
member's size and compression ratio before reading it, reading at most the announced size (so a
zip bomb is rejected, never inflated). The CRC of every member is checked by :mod:`zipfile`.

Writes go to a temporary file in the target's folder, which is flushed, fsynced and renamed onto
the target: a reader (or a crash) sees the old file or the new one, never a mix.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable
from typing import IO, Any

from ...io import LoadError
from ...io.atomic import atomic_write

__all__ = ["MEMBERS", "MAX_MEMBER_BYTES", "write_archive", "read_archive"]

#: the members a ``.keras`` archive may hold, and the largest size accepted for each
MEMBERS: dict[str, int] = {
    "metadata.json": 1 << 20,
    "config.json": 64 << 20,
    "model.weights.safetensors": 16 << 30,
    "optimizer.safetensors": 32 << 30,
}
#: the largest member accepted, whatever its name
MAX_MEMBER_BYTES = max(MEMBERS.values())
#: a member may inflate to at most this many times its compressed size (zip-bomb guard) once
#: it is larger than :data:`_RATIO_FLOOR` bytes
MAX_RATIO = 200
_RATIO_FLOOR = 1 << 20
_MAX_ENTRIES = 64
_CHUNK = 1 << 20
_EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same model gives the same bytes

FileLike = str | os.PathLike | IO[bytes]


def _zip_bytes(members: dict[str, bytes]) -> Callable[[IO[bytes]], None]:
    def write(f: IO[bytes]) -> None:
        with zipfile.ZipFile(f, "w") as zf:
            for name, data in members.items():
                info = zipfile.ZipInfo(name, date_time=_EPOCH)
                info.compress_type = zipfile.ZIP_STORED if name.endswith(".safetensors") \
                    else zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, data)
    return write


def _write_file(name: str, writer: Callable[[IO[bytes]], None]) -> None:
    with open(name, "wb") as fh:
        writer(fh)


def write_archive(f: FileLike, members: dict[str, bytes], where: str = "save") -> None:
    """Write ``members`` (name -> bytes) as a zip to a path (atomically) or a binary file."""
    for name in members:
        if name not in MEMBERS:
            raise ValueError(f"{where}: {name!r} is not a .keras archive member")
    writer = _zip_bytes(members)
    if isinstance(f, str | os.PathLike):
        atomic_write(f, lambda tmp: _write_file(tmp, writer), where)
        return
    if not hasattr(f, "write") or isinstance(f, io.TextIOBase):
        raise TypeError(f"{where}: expected a path or a binary file object opened for writing, "
                        f"got {type(f).__name__}")
    writer(f)
    flush = getattr(f, "flush", None)
    if flush is not None:
        flush()


def _describe(f: Any) -> str:
    if isinstance(f, str | os.PathLike):
        return os.fspath(f)  # type: ignore[return-value]
    return getattr(f, "name", None) or f"<{type(f).__name__}>"


def read_archive(f: FileLike, where: str = "load_model",
                 required: tuple[str, ...] = ("metadata.json", "config.json"),
                 only: tuple[str, ...] | None = None) -> dict[str, bytes]:
    """The members of a ``.keras`` archive as bytes, after checking the archive (see the
    module docstring); ``only`` reads just those members (all are still checked). Raises
    :class:`~lightgrad.io.LoadError` naming the file and the problem, ``FileNotFoundError``
    when there is no such file."""
    name = _describe(f)

    def err(what: str) -> LoadError:
        return LoadError(f"{where}: {name}: {what}")

    if isinstance(f, str | os.PathLike):
        path = os.fspath(f)
        if os.path.isdir(path):
            raise err("is a folder, not a .keras file")
        if not os.path.exists(path):
            raise FileNotFoundError(f"{where}: no such file: {path!r}")
        with open(path, "rb") as fh:
            return _read(fh, err, required, only)
    if not hasattr(f, "read") or not hasattr(f, "seek"):
        raise TypeError(f"{where}: expected a path or a seekable binary file object, got "
                        f"{type(f).__name__}")
    return _read(f, err, required, only)  # type: ignore[arg-type]


def _read(fh: IO[bytes], err: Callable[[str], LoadError], required: tuple[str, ...],
          only: tuple[str, ...] | None) -> dict[str, bytes]:
    start = fh.tell()
    head = fh.read(4)
    fh.seek(start)
    if isinstance(head, str):
        raise TypeError("load_model: the file object must be opened in binary mode")
    if head[:4] != b"PK\x03\x04":
        hint = ""
        if head[:1] == b"\x80":
            hint = " (it looks like a pickle: lightgrad never unpickles)"
        elif head[:4] == b"\x89HDF":
            hint = " (it is an HDF5 file: legacy .h5 models are not supported)"
        elif len(head) < 4:
            hint = " (it is empty or truncated)"
        raise err(f"is not a .keras file: a .keras file is a zip archive{hint}")
    try:
        zf = zipfile.ZipFile(fh)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as e:
        raise err(f"is not a valid zip archive ({e})") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > _MAX_ENTRIES:
            raise err(f"has {len(infos)} members; a .keras file has at most {len(MEMBERS)}")
        seen: set[str] = set()
        for info in infos:
            _check_member(info, err)
            if info.filename in seen:
                raise err(f"holds the member {info.filename!r} twice")
            seen.add(info.filename)
        missing = [m for m in required if m not in seen]
        if missing:
            raise err(f"lacks the member(s) {', '.join(missing)} (members: "
                      f"{', '.join(sorted(seen)) or 'none'})")
        out = {}
        for info in infos:
            if only is None or info.filename in only:
                out[info.filename] = _read_member(zf, info, err)
    return out


def _check_member(info: zipfile.ZipInfo, err: Callable[[str], LoadError]) -> None:
    name = info.filename
    if name.startswith(("/", "\\")) or "\\" in name or ".." in name.split("/") or \
            ":" in name or "\x00" in name:
        raise err(f"holds a member with an unsafe path {name!r} (absolute, '..', drive or "
                  "backslash): rejected")
    if name == "model.weights.h5":
        raise err("is a Keras (TensorFlow/JAX/PyTorch backend) file with HDF5 weights; lightgrad "
                  "reads .keras files written by lightgrad (weights in safetensors)")
    if name not in MEMBERS:
        raise err(f"holds an unexpected member {name!r}; a .keras file holds only "
                  f"{', '.join(MEMBERS)}")
    if info.flag_bits & 0x1:
        raise err(f"member {name!r} is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise err(f"member {name!r} uses compression method {info.compress_type} (only "
                  "stored and deflated are accepted)")
    limit = MEMBERS[name]
    if info.file_size > limit:
        raise err(f"member {name!r} claims {info.file_size} bytes, more than the {limit} "
                  "accepted")
    if info.file_size > _RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise err(f"member {name!r} inflates {info.compress_size} bytes to {info.file_size} "
                  f"(ratio over {MAX_RATIO}): a zip bomb? rejected")


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo,
                 err: Callable[[str], LoadError]) -> bytes:
    size = info.file_size
    buf = bytearray()
    try:
        with zf.open(info) as m:
            while len(buf) <= size:
                chunk = m.read(min(_CHUNK, size + 1 - len(buf)))
                if not chunk:
                    break
                buf += chunk
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as e:
        # zlib.error is an Exception subclass raised by corrupt deflate streams
        raise err(f"member {info.filename!r} is corrupt ({e})") from None
    except Exception as e:  # zlib.error
        raise err(f"member {info.filename!r} is corrupt ({type(e).__name__}: {e})") from None
    if len(buf) != size:
        raise err(f"member {info.filename!r} has {len(buf)} bytes, its header says {size}")
    return bytes(buf)
