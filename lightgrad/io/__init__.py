"""Safe save/load: safetensors arrays + JSON structure, atomic writes.

``lightgrad.save`` / ``lightgrad.load`` never pickle: see :mod:`lightgrad.io.serialize` for the
file layout. ``save_safetensors`` / ``load_safetensors`` read and write plain safetensors files
(flat ``{name: tensor}`` dicts), and every rejected file raises :class:`LoadError`.
"""

from __future__ import annotations

from .serialize import (
    FORMAT_VERSION,
    MAX_DEPTH,
    MAX_HEADER_BYTES,
    LoadError,
    load,
    load_safetensors,
    save,
    save_safetensors,
)

__all__ = ["save", "load"]
