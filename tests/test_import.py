"""``import lightgrad`` loads the engine, ops, nn, optim, utils and io, and nothing heavier: the
high-level subpackages load on first use (the import-time target of benchmarks/)."""

import subprocess
import sys

import pytest

LAZY = ("datasets", "keras", "playground", "text", "transforms", "tune", "viz")


def _modules_after(code: str) -> set[str]:
    code += "\nimport sys\nprint(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    return set(out.split())


def test_import_lightgrad_leaves_the_high_level_subpackages_unloaded():
    loaded = _modules_after("import lightgrad")
    assert {"lightgrad.nn", "lightgrad.optim", "lightgrad.utils.data", "lightgrad.io"} <= loaded
    assert not {f"lightgrad.{name}" for name in LAZY} & loaded
    assert not {"matplotlib", "torch", "starlette", "tqdm"} & loaded


@pytest.mark.parametrize("name", LAZY)
def test_lazy_subpackages_load_on_attribute_access_and_from_import(name):
    import importlib

    import lightgrad

    assert getattr(lightgrad, name) is importlib.import_module(f"lightgrad.{name}")
    assert name in dir(lightgrad)
    namespace: dict = {}
    exec(f"from lightgrad import {name} as mod", namespace)
    assert namespace["mod"] is sys.modules[f"lightgrad.{name}"]


def test_unknown_attribute_is_an_attribute_error():
    import lightgrad

    with pytest.raises(AttributeError, match="no attribute 'kerass'"):
        lightgrad.kerass  # noqa: B018
