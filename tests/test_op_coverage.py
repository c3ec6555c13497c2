"""Every Function that lightgrad registers has at least one parity row (OpCase) covering it."""

import importlib
import pathlib

import lightgrad
from lightgrad.autograd import Function
from tests.helpers import OpCase

HERE = pathlib.Path(__file__).parent


def _all_cases():
    cases = []
    for path in sorted(HERE.rglob("test_*.py")):
        rel = path.relative_to(HERE.parent).with_suffix("")
        mod = importlib.import_module(".".join(rel.parts))
        for name in dir(mod):
            if name.endswith("CASES"):
                cases.extend(c for c in getattr(mod, name) if isinstance(c, OpCase))
    return cases


def test_every_registered_function_has_a_parity_row():
    assert lightgrad.Tensor is not None
    covered = set()
    for case in _all_cases():
        covered.update(case.covers)
    registered = {cls.__name__ for cls in Function._registry}
    missing = sorted(registered - covered)
    assert not missing, f"Functions without a parity row (OpCase covers=...): {missing}"
    unknown = sorted(covered - registered)
    assert not unknown, f"OpCase rows claim to cover unknown Functions: {unknown}"
