"""Learning-rate schedulers: the lr (and momentum) sequences against torch.optim.lr_scheduler.

Every case builds the same optimizer (param groups, lrs, momentum or betas) in both frameworks,
wraps it in the same scheduler through one lambda ``make(S, opt)`` (``S`` is either scheduler
module) and compares ``get_last_lr()``, each group's ``lr`` and its momentum/beta1 at every step.
The schedules are plain float arithmetic in the same order as PyTorch's, so the comparison is
essentially exact (rtol 1e-12).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import lightgrad
from lightgrad.optim import lr_scheduler as LS
from tests.helpers import tol

torch = pytest.importorskip("torch")
TS = torch.optim.lr_scheduler

pytestmark = pytest.mark.torch

RTOL = 1e-12  # identical float arithmetic: only a reordering could differ, by an ulp or two


# ---------------------------------------------------------------------------- optimizers
class _StandInOptimizer:
    """A minimal duck-typed optimizer: the schedulers need only param_groups and defaults."""

    def __init__(self, groups: list[dict[str, Any]], defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.param_groups = [{**self.defaults, **g} for g in groups]

    def step(self) -> None:
        pass


def _defaults(kind: str, lr: float) -> dict[str, Any]:
    if kind == "sgd":
        return {"lr": lr, "momentum": 0.0}
    if kind == "sgd_momentum":
        return {"lr": lr, "momentum": 0.9}
    if kind == "adam":
        return {"lr": lr, "betas": (0.9, 0.999)}
    raise AssertionError(kind)


def make_torch_opt(kind: str, lrs: tuple[float, ...]) -> Any:
    groups = [{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    kw = _defaults(kind, lrs[0])
    cls = torch.optim.Adam if kind == "adam" else torch.optim.SGD
    return cls(groups, **kw)


def make_lg_opt(kind: str, lrs: tuple[float, ...]) -> Any:
    groups = [{"params": [lightgrad.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs]
    kw = _defaults(kind, lrs[0])
    cls = lightgrad.optim.Adam if kind == "adam" else lightgrad.optim.SGD
    return cls(groups, **kw)


def snapshot(sched: Any, opt: Any) -> list[float]:
    """Everything a scheduler controls, as a flat list of floats."""
    out = [float(v) for v in sched.get_last_lr()]
    for g in opt.param_groups:
        out.append(float(g["lr"]))
        if "momentum" in g:
            out.append(float(g["momentum"]))
        if "betas" in g:
            out.extend(float(b) for b in g["betas"])
    return out


def assert_same(ours: list[float], ref: list[float], where: str) -> None:
    assert len(ours) == len(ref), f"{where}: {ours} vs {ref}"
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=0, err_msg=where)


# ---------------------------------------------------------------------------- cases
@dataclasses.dataclass
class SchedCase:
    id: str
    make: Callable[[Any, Any], Any]  # (scheduler module, optimizer) -> scheduler
    opt: str = "sgd"
    lrs: tuple[float, ...] = (0.1,)
    steps: int = 30
    warns: bool = False  # PyTorch itself warns about the step order (a composition quirk)


class _Warm:
    """A picklable-style callable object: its __dict__ is saved by LambdaLR.state_dict."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __call__(self, epoch: int) -> float:
        return min(1.0, (epoch + 1) / self.n)


def _triangle_fn(x: float) -> float:
    return 1.0 / (1.0 + 0.1 * x)


TWO = (0.1, 0.05)
THREE = (0.3, 0.02, 1.0)

CASES = [
    # LambdaLR
    SchedCase("lambda_single", lambda S, o: S.LambdaLR(o, lambda e: 0.95 ** e)),
    SchedCase("lambda_per_group", lambda S, o: S.LambdaLR(
        o, [lambda e: 1.0 / (1 + e), lambda e: 0.5 ** (e // 4)]), lrs=TWO),
    SchedCase("lambda_object", lambda S, o: S.LambdaLR(o, _Warm(7)), lrs=THREE),
    # MultiplicativeLR
    SchedCase("multiplicative", lambda S, o: S.MultiplicativeLR(o, lambda e: 0.95)),
    SchedCase("multiplicative_per_group", lambda S, o: S.MultiplicativeLR(
        o, (lambda e: 0.9, lambda e: 1.0 if e % 3 else 0.5)), lrs=TWO),
    # StepLR
    SchedCase("step", lambda S, o: S.StepLR(o, step_size=3, gamma=0.5)),
    SchedCase("step_default_gamma", lambda S, o: S.StepLR(o, 7), lrs=THREE),
    SchedCase("step_every_epoch", lambda S, o: S.StepLR(o, step_size=1, gamma=0.9), lrs=TWO),
    SchedCase("step_gamma_above_1", lambda S, o: S.StepLR(o, step_size=4, gamma=1.5)),
    # MultiStepLR
    SchedCase("multistep", lambda S, o: S.MultiStepLR(o, milestones=[5, 10, 20], gamma=0.5)),
    SchedCase("multistep_repeated_unsorted", lambda S, o: S.MultiStepLR(
        o, milestones=[12, 3, 12, 25]), lrs=TWO),
    SchedCase("multistep_milestone_0", lambda S, o: S.MultiStepLR(
        o, milestones=[0, 4], gamma=0.3)),
    # ConstantLR
    SchedCase("constant_default", lambda S, o: S.ConstantLR(o)),
    SchedCase("constant", lambda S, o: S.ConstantLR(o, factor=0.5, total_iters=10), lrs=TWO),
    SchedCase("constant_factor_1", lambda S, o: S.ConstantLR(o, factor=1.0, total_iters=3)),
    SchedCase("constant_total_0", lambda S, o: S.ConstantLR(o, factor=0.25, total_iters=0)),
    # LinearLR
    SchedCase("linear_default", lambda S, o: S.LinearLR(o), lrs=TWO),
    SchedCase("linear_decay", lambda S, o: S.LinearLR(
        o, start_factor=1.0, end_factor=0.1, total_iters=10)),
    SchedCase("linear_long", lambda S, o: S.LinearLR(
        o, start_factor=0.1, end_factor=0.9, total_iters=40), lrs=THREE),
    SchedCase("linear_to_zero", lambda S, o: S.LinearLR(
        o, start_factor=0.5, end_factor=0.0, total_iters=12)),
    # ExponentialLR
    SchedCase("exponential", lambda S, o: S.ExponentialLR(o, gamma=0.9)),
    SchedCase("exponential_growth", lambda S, o: S.ExponentialLR(o, 1.05), lrs=TWO),
    # PolynomialLR
    SchedCase("polynomial_default", lambda S, o: S.PolynomialLR(o)),
    SchedCase("polynomial_square", lambda S, o: S.PolynomialLR(
        o, total_iters=20, power=2.0), lrs=TWO),
    SchedCase("polynomial_sqrt", lambda S, o: S.PolynomialLR(o, total_iters=29, power=0.5)),
    # CosineAnnealingLR (past T_max the recursive form keeps oscillating, as PyTorch's)
    SchedCase("cosine", lambda S, o: S.CosineAnnealingLR(o, T_max=10)),
    SchedCase("cosine_eta_min", lambda S, o: S.CosineAnnealingLR(
        o, T_max=7, eta_min=0.001), lrs=TWO),
    SchedCase("cosine_T_max_1", lambda S, o: S.CosineAnnealingLR(o, T_max=1, eta_min=0.01)),
    SchedCase("cosine_long", lambda S, o: S.CosineAnnealingLR(o, T_max=30), lrs=THREE),
    # CosineAnnealingWarmRestarts
    SchedCase("warm_restarts", lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=5)),
    SchedCase("warm_restarts_mult", lambda S, o: S.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=0.01), lrs=TWO),
    SchedCase("warm_restarts_T0_1", lambda S, o: S.CosineAnnealingWarmRestarts(o, 1, 3)),
    # OneCycleLR (every step of the cycle)
    SchedCase("onecycle", lambda S, o: S.OneCycleLR(o, max_lr=1.0, total_steps=30),
              opt="sgd_momentum"),
    SchedCase("onecycle_linear_three_phase", lambda S, o: S.OneCycleLR(
        o, max_lr=[1.0, 0.5], total_steps=40, anneal_strategy="linear", three_phase=True,
        pct_start=0.25), opt="sgd_momentum", lrs=TWO, steps=40),
    SchedCase("onecycle_epochs_adam", lambda S, o: S.OneCycleLR(
        o, max_lr=0.01, epochs=4, steps_per_epoch=9, div_factor=10.0,
        final_div_factor=100.0, base_momentum=0.8, max_momentum=0.99), opt="adam", steps=36),
    SchedCase("onecycle_no_momentum", lambda S, o: S.OneCycleLR(
        o, max_lr=(0.2, 0.4, 0.8), total_steps=25, cycle_momentum=False, pct_start=0.5),
        lrs=THREE, steps=25),
    SchedCase("onecycle_per_group_momentum", lambda S, o: S.OneCycleLR(
        o, max_lr=0.5, total_steps=20, base_momentum=[0.7, 0.8], max_momentum=[0.9, 0.95],
        three_phase=True), opt="sgd_momentum", lrs=TWO, steps=20),
    # CyclicLR
    SchedCase("cyclic_triangular", lambda S, o: S.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=4), opt="sgd_momentum"),
    SchedCase("cyclic_triangular2", lambda S, o: S.CyclicLR(
        o, base_lr=[0.01, 0.02], max_lr=[0.1, 0.3], step_size_up=3, step_size_down=5,
        mode="triangular2"), opt="sgd_momentum", lrs=TWO),
    SchedCase("cyclic_exp_range_adam", lambda S, o: S.CyclicLR(
        o, base_lr=0.001, max_lr=0.01, step_size_up=5, mode="exp_range", gamma=0.9),
        opt="adam"),
    SchedCase("cyclic_scale_fn_iterations", lambda S, o: S.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=2, step_size_down=6, scale_fn=_triangle_fn,
        scale_mode="iterations", cycle_momentum=False)),
    # SequentialLR / ChainedScheduler
    SchedCase("sequential_warmup_cosine", lambda S, o: S.SequentialLR(
        o, [S.LinearLR(o, start_factor=0.1, total_iters=5), S.CosineAnnealingLR(o, T_max=20)],
        milestones=[5]), lrs=TWO),
    SchedCase("sequential_three", lambda S, o: S.SequentialLR(
        o, [S.ConstantLR(o, factor=0.2, total_iters=4), S.ExponentialLR(o, gamma=0.8),
            S.StepLR(o, step_size=4, gamma=0.5)], milestones=[3, 12])),
    SchedCase("sequential_single", lambda S, o: S.SequentialLR(
        o, [S.MultiStepLR(o, [4, 9])], milestones=[]), lrs=THREE),
    SchedCase("chained", lambda S, o: S.ChainedScheduler(
        [S.ConstantLR(o, factor=0.1, total_iters=2), S.ExponentialLR(o, gamma=0.9)])),
    SchedCase("chained_three", lambda S, o: S.ChainedScheduler(
        [S.LinearLR(o, start_factor=0.5, total_iters=6), S.StepLR(o, 5, gamma=0.5),
         S.MultiStepLR(o, [8, 16], gamma=0.3)], optimizer=o), lrs=TWO),
    SchedCase("sequential_chained_first", lambda S, o: S.SequentialLR(
        o, [S.ChainedScheduler([S.ConstantLR(o, factor=0.5, total_iters=3),
                                S.ExponentialLR(o, gamma=0.9)]),
            S.StepLR(o, 4, gamma=0.5)], milestones=[6]), lrs=TWO, warns=True),
]


@pytest.fixture
def case_warnings(request):
    case = request.node.callspec.params["case"]
    with warnings.catch_warnings():
        if case.warns:
            warnings.simplefilter("ignore")
        yield


def run_pair(case: SchedCase, n_steps: int | None = None):
    """Build the case in both frameworks; yield (ours, theirs, where) before each step."""
    t_opt = make_torch_opt(case.opt, case.lrs)
    l_opt = make_lg_opt(case.opt, case.lrs)
    t_s = case.make(TS, t_opt)
    l_s = case.make(LS, l_opt)
    steps = case.steps if n_steps is None else n_steps
    for i in range(steps):
        yield (l_s, l_opt), (t_s, t_opt), i
        if i == steps - 1:
            break
        t_opt.step()
        t_s.step()
        l_opt.step()
        l_s.step()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_lr_sequence_matches_torch(case: SchedCase) -> None:
    n = 0
    with warnings.catch_warnings():
        # the right call order never warns
        warnings.simplefilter("ignore" if case.warns else "error")
        for (l_s, l_opt), (t_s, t_opt), i in run_pair(case):
            assert_same(snapshot(l_s, l_opt), snapshot(t_s, t_opt), f"{case.id} epoch {i}")
            assert getattr(l_s, "last_epoch", None) == getattr(t_s, "last_epoch", None)
            n += 1
    assert n == case.steps
    # initial_lr and the other bookkeeping keys the schedulers put in the groups
    for lg, tg in zip(l_opt.param_groups, t_opt.param_groups):
        keys = {"initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum"}
        assert {k for k in lg if k in keys} == {k for k in tg if k in keys}
        for k in keys & set(tg):
            assert float(lg[k]) == pytest.approx(float(tg[k]), rel=RTOL)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_state_dict_keys_match_torch(case: SchedCase, case_warnings: None) -> None:
    t_s = case.make(TS, make_torch_opt(case.opt, case.lrs))
    l_s = case.make(LS, make_lg_opt(case.opt, case.lrs))
    t_sd, l_sd = t_s.state_dict(), l_s.state_dict()
    assert set(l_sd) == set(t_sd)
    assert "optimizer" not in l_sd


def _copy_groups(dst: Any, src: Any) -> None:
    """What loading the optimizer's state dict does to the hyperparameters."""
    for gd, gs in zip(dst.param_groups, src.param_groups):
        gd.update({k: v for k, v in gs.items() if k != "params"})


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_state_dict_round_trip_resumes_identically(case: SchedCase, case_warnings: None) -> None:
    split = case.steps // 3
    opt = make_lg_opt(case.opt, case.lrs)
    sched = case.make(LS, opt)
    for _ in range(split):
        opt.step()
        sched.step()
    state = sched.state_dict()
    keys_before = set(state)

    opt2 = make_lg_opt(case.opt, case.lrs)
    sched2 = case.make(LS, opt2)
    _copy_groups(opt2, opt)
    sched2.load_state_dict(state)
    assert set(state) == keys_before  # load_state_dict leaves its argument intact
    assert sched2.get_last_lr() == sched.get_last_lr()

    for i in range(split, case.steps - 1):
        for o, s in ((opt, sched), (opt2, sched2)):
            o.step()
            s.step()
        assert snapshot(sched2, opt2) == snapshot(sched, opt), f"{case.id} epoch {i + 1}"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_torch_state_dict_loads_and_continues(case: SchedCase, case_warnings: None) -> None:
    """A state dict from PyTorch's scheduler resumes lightgrad's at the same point."""
    split = case.steps // 2
    t_opt = make_torch_opt(case.opt, case.lrs)
    t_s = case.make(TS, t_opt)
    for _ in range(split):
        t_opt.step()
        t_s.step()

    l_opt = make_lg_opt(case.opt, case.lrs)
    l_s = case.make(LS, l_opt)
    _copy_groups(l_opt, t_opt)
    l_s.load_state_dict(t_s.state_dict())
    for i in range(split, case.steps - 1):
        t_opt.step()
        t_s.step()
        l_opt.step()
        l_s.step()
        assert_same(snapshot(l_s, l_opt), snapshot(t_s, t_opt), f"{case.id} epoch {i + 1}")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_state_dict_survives_lightgrad_save_load(case: SchedCase, case_warnings: None,
                                                 tmp_path) -> None:
    """The scheduler state goes through lightgrad.save/load (no pickle) and resumes exactly."""
    split = case.steps // 3
    opt = make_lg_opt(case.opt, case.lrs)
    sched = case.make(LS, opt)
    for _ in range(split):
        opt.step()
        sched.step()
    path = tmp_path / "sched.lg"
    lightgrad.save({"scheduler": sched.state_dict(), "optimizer": opt.state_dict()}, path)
    ckpt = lightgrad.load(path)

    opt2 = make_lg_opt(case.opt, case.lrs)
    sched2 = case.make(LS, opt2)
    opt2.load_state_dict(ckpt["optimizer"])
    sched2.load_state_dict(ckpt["scheduler"])
    for i in range(split, case.steps - 1):
        for o, s in ((opt, sched), (opt2, sched2)):
            o.step()
            s.step()
        assert snapshot(sched2, opt2) == snapshot(sched, opt), f"{case.id} epoch {i + 1}"


def test_multistep_closed_form_after_save_load(tmp_path) -> None:
    opt = make_lg_opt("sgd", (1.0,))
    sched = LS.MultiStepLR(opt, [2, 2, 5], gamma=0.5)
    lightgrad.save(sched.state_dict(), tmp_path / "s.lg")
    opt2 = make_lg_opt("sgd", (1.0,))
    sched2 = LS.MultiStepLR(opt2, [7])
    sched2.load_state_dict(lightgrad.load(tmp_path / "s.lg"))
    opt2.step()
    with pytest.warns(UserWarning, match="epoch parameter"):
        sched2.step(6)
    assert sched2.get_last_lr() == [0.125]


def test_lambda_object_state_is_saved_and_restored() -> None:
    opt = make_lg_opt("sgd", TWO)
    sched = LS.LambdaLR(opt, [_Warm(5), lambda e: 1.0])
    state = sched.state_dict()
    assert state["lr_lambdas"] == [{"n": 5}, None]
    other = LS.LambdaLR(make_lg_opt("sgd", TWO), [_Warm(9), lambda e: 1.0])
    other.load_state_dict(state)
    assert other.lr_lambdas[0].n == 5
    assert "lr_lambdas" in state  # the argument is not mutated


# ---------------------------------------------------------------------------- resuming
@pytest.mark.parametrize("make", [
    lambda S, o, le: S.StepLR(o, 4, gamma=0.5, last_epoch=le),
    lambda S, o, le: S.ExponentialLR(o, 0.9, last_epoch=le),
    lambda S, o, le: S.CosineAnnealingLR(o, T_max=8, eta_min=0.01, last_epoch=le),
    lambda S, o, le: S.LinearLR(o, 0.2, total_iters=10, last_epoch=le),
    lambda S, o, le: S.PolynomialLR(o, total_iters=12, power=2.0, last_epoch=le),
    lambda S, o, le: S.CosineAnnealingWarmRestarts(o, 4, 2, last_epoch=le),
    lambda S, o, le: S.OneCycleLR(o, 1.0, total_steps=30, last_epoch=le),
], ids=["step", "exponential", "cosine", "linear", "polynomial", "warm_restarts", "onecycle"])
def test_resume_with_last_epoch(make: Callable) -> None:
    """Constructing with last_epoch >= 0 (initial_lr already in the groups) matches PyTorch."""
    seqs = []
    for S, mk_opt in ((TS, make_torch_opt), (LS, make_lg_opt)):
        opt = mk_opt("sgd_momentum", TWO)
        sched = make(S, opt, -1)
        for _ in range(5):
            opt.step()
            sched.step()
        resumed = make(S, opt, 5)
        seq = [snapshot(resumed, opt)]
        for _ in range(10):
            opt.step()
            resumed.step()
            seq.append(snapshot(resumed, opt))
        seqs.append(seq)
    for i, (t, l) in enumerate(zip(*seqs)):
        assert_same(l, t, f"step {i}")


def test_resume_without_initial_lr_is_a_key_error() -> None:
    with pytest.raises(KeyError, match=r"initial_lr.*param_groups\[0\]"):
        LS.StepLR(make_lg_opt("sgd", TWO), step_size=3, last_epoch=4)
    with pytest.raises(KeyError):
        TS.StepLR(make_torch_opt("sgd", TWO), step_size=3, last_epoch=4)


# ---------------------------------------------------------------------------- step(epoch)
@pytest.mark.parametrize("make", [
    lambda S, o: S.StepLR(o, 3, gamma=0.5),
    lambda S, o: S.MultiStepLR(o, [2, 5, 5, 9], gamma=0.5),
    lambda S, o: S.ConstantLR(o, 0.25, total_iters=4),
    lambda S, o: S.LinearLR(o, 0.2, 0.9, total_iters=6),
    lambda S, o: S.ExponentialLR(o, 0.8),
    lambda S, o: S.PolynomialLR(o, total_iters=7, power=1.5),
    lambda S, o: S.CosineAnnealingLR(o, T_max=6, eta_min=0.01),
    lambda S, o: S.LambdaLR(o, lambda e: 1 / (1 + e)),
], ids=["step", "multistep", "constant", "linear", "exponential", "polynomial", "cosine",
        "lambda"])
def test_step_with_epoch_uses_the_closed_form(make: Callable) -> None:
    epochs = [3, 7, 1, 0, 10, 5, 5, 12]
    seqs = []
    for S, mk_opt in ((TS, make_torch_opt), (LS, make_lg_opt)):
        opt = mk_opt("sgd", TWO)
        sched = make(S, opt)
        seq = []
        for e in epochs:
            opt.step()
            with pytest.warns(UserWarning, match="epoch parameter"):
                sched.step(e)
            seq.append(snapshot(sched, opt))
        seqs.append(seq)
    for e, t, l in zip(epochs, *seqs):
        assert_same(l, t, f"epoch {e}")


def test_warm_restarts_fractional_epochs() -> None:
    """step(epoch + i / n) inside epochs, as in SGDR's per-batch use."""
    for T_0, T_mult in ((3, 1), (2, 2), (1, 3)):
        seqs = []
        for S, mk_opt in ((TS, make_torch_opt), (LS, make_lg_opt)):
            opt = mk_opt("sgd", TWO)
            sched = S.CosineAnnealingWarmRestarts(opt, T_0=T_0, T_mult=T_mult, eta_min=0.001)
            seq = []
            for epoch in range(12):
                for i in range(5):
                    opt.step()
                    sched.step(epoch + i / 5)
                    seq.append((snapshot(sched, opt), sched.T_cur, sched.T_i, sched.last_epoch))
            for _ in range(4):  # plain steps continue from the last fractional position
                opt.step()
                sched.step()
                seq.append((snapshot(sched, opt), sched.T_cur, sched.T_i, sched.last_epoch))
            seqs.append(seq)
        for k, (t, l) in enumerate(zip(*seqs)):
            assert_same(l[0], t[0], f"T_0={T_0} T_mult={T_mult} call {k}")
            assert l[1] == pytest.approx(t[1], rel=RTOL, abs=1e-15)
            assert l[2:] == t[2:]


def test_warm_restarts_restart_values() -> None:
    opt = make_lg_opt("sgd", (1.0,))
    sched = LS.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2, eta_min=0.0)
    lrs = [sched.get_last_lr()[0]]
    for _ in range(7):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    # restarts at epochs 2 and 6 (periods 2, 4): back to the initial lr there
    assert lrs[0] == lrs[2] == lrs[6] == 1.0
    assert lrs[1] == pytest.approx(0.5) and lrs[4] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="non-negative epoch"):
        sched.step(-1)


# ---------------------------------------------------------------------------- OneCycleLR
def test_onecycle_end_points_and_overstep() -> None:
    opt = make_lg_opt("sgd_momentum", (0.1,))
    sched = LS.OneCycleLR(opt, max_lr=2.0, total_steps=10, div_factor=20.0,
                          final_div_factor=50.0)
    assert sched.get_last_lr()[0] == pytest.approx(0.1)
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.95)
    lrs = [sched.get_last_lr()[0]]
    moms = [opt.param_groups[0]["momentum"]]
    for _ in range(9):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
        moms.append(opt.param_groups[0]["momentum"])
    assert max(lrs) == pytest.approx(2.0) and lrs.index(max(lrs)) == 2  # pct_start * 10 - 1
    assert moms[2] == pytest.approx(0.85)
    assert lrs[-1] == pytest.approx(0.1 / 50.0)
    opt.step()
    sched.step()  # step 10 == total_steps is still allowed (as in PyTorch)
    t_opt = make_torch_opt("sgd_momentum", (0.1,))
    t_s = TS.OneCycleLR(t_opt, max_lr=2.0, total_steps=10)
    for _ in range(10):
        t_opt.step()
        t_s.step()
    with pytest.raises(ValueError, match="Tried to step 11 times"):
        t_s.step()
    opt.step()
    with pytest.raises(ValueError, match="Tried to step 11 times. The specified number of "
                                         "total steps is 10"):
        sched.step()


# ---------------------------------------------------------------------------- ReduceLROnPlateau
PLATEAU_METRICS = [1.0, 0.9, 0.9, 0.9, 0.95, 0.8, 0.8, 0.79999, 0.85, 0.9, 0.9, 0.9, 0.7, 0.7,
                   0.7, 0.7, 0.7, 0.69995, 0.6, 0.6, 0.61, 0.62, 0.63, 0.64, 0.5, 0.5, 0.5, 0.5,
                   0.5, 0.5, 0.5, 0.5]


@pytest.mark.parametrize("kw", [
    {},
    {"patience": 0},
    {"patience": 2, "factor": 0.5},
    {"patience": 1, "cooldown": 2, "factor": 0.5},
    {"patience": 1, "threshold": 0.05, "threshold_mode": "rel"},
    {"patience": 1, "threshold": 0.05, "threshold_mode": "abs", "cooldown": 1},
    {"patience": 0, "threshold": 0.0, "threshold_mode": "abs"},
    {"mode": "max", "patience": 1, "factor": 0.3},
    {"mode": "max", "patience": 0, "threshold": 0.01, "threshold_mode": "abs", "cooldown": 3},
    {"mode": "max", "patience": 2, "threshold": 0.1, "threshold_mode": "rel"},
    {"patience": 0, "factor": 0.5, "min_lr": 0.02},
    {"patience": 0, "factor": 0.5, "min_lr": [0.03, 0.001]},
    {"patience": 0, "factor": 0.9999, "eps": 1e-5},
    {"patience": 0, "factor": 0.5, "eps": 0.01, "min_lr": 0.0},
], ids=lambda kw: "-".join(f"{k}={v}" for k, v in kw.items()) or "defaults")
def test_reduce_on_plateau_matches_torch(kw: dict[str, Any]) -> None:
    metrics = PLATEAU_METRICS
    if kw.get("mode") == "max":
        metrics = [2.0 - m for m in metrics]
    t_opt = make_torch_opt("sgd", TWO)
    l_opt = make_lg_opt("sgd", TWO)
    t_s = TS.ReduceLROnPlateau(t_opt, **kw)
    l_s = LS.ReduceLROnPlateau(l_opt, **kw)
    assert_same(snapshot(l_s, l_opt), snapshot(t_s, t_opt), "initial")
    for i, m in enumerate(metrics):
        t_opt.step()
        l_opt.step()
        t_s.step(m)
        # the metric may be a one-element lightgrad tensor, like a loss
        l_s.step(lightgrad.tensor(m, dtype=lightgrad.float64) if i % 2 else m)
        where = f"{kw} epoch {i} metric {m}"
        assert_same(snapshot(l_s, l_opt), snapshot(t_s, t_opt), where)
        assert (l_s.best, l_s.num_bad_epochs, l_s.cooldown_counter, l_s.last_epoch) == (
            t_s.best, t_s.num_bad_epochs, t_s.cooldown_counter, t_s.last_epoch), where
    assert set(l_s.state_dict()) == set(t_s.state_dict())


def test_reduce_on_plateau_scripted() -> None:
    """Hand-checked sequence: patience 2, cooldown 1, factor 0.5, min mode, rel threshold."""
    opt = make_lg_opt("sgd", (1.0,))
    sched = LS.ReduceLROnPlateau(opt, patience=2, cooldown=1, factor=0.5)
    metrics = [5, 4, 4, 4, 4, 4, 4, 4, 3, 3, 3, 3]
    # epochs 3-5 are bad; the 3rd (> patience) halves the lr and starts a 1-epoch cooldown, in
    # which the bad count is reset; 3 improves; three more bad epochs halve it again
    expected = [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25]
    got = []
    for m in metrics:
        opt.step()
        sched.step(m)
        got.append(sched.get_last_lr()[0])
    assert got == expected


def test_reduce_on_plateau_state_dict_round_trip() -> None:
    opt = make_lg_opt("sgd", TWO)
    sched = LS.ReduceLROnPlateau(opt, mode="max", patience=1, cooldown=1, factor=0.5)
    for m in [0.1, 0.2, 0.2, 0.2]:
        sched.step(m)
    state = sched.state_dict()
    opt2 = make_lg_opt("sgd", TWO)
    sched2 = LS.ReduceLROnPlateau(opt2)
    _copy_groups(opt2, opt)
    sched2.load_state_dict(state)
    assert sched2.mode == "max" and sched2.mode_worse == -math.inf
    for m in [0.2, 0.2, 0.25, 0.1, 0.1, 0.1]:
        sched.step(m)
        sched2.step(m)
        assert sched2.get_last_lr() == sched.get_last_lr()


def test_reduce_on_plateau_new_param_group() -> None:
    """A group added later: a scalar min_lr extends to it, a list min_lr is a clear error."""
    for S, mk_opt in ((TS, make_torch_opt), (LS, make_lg_opt)):
        opt = mk_opt("sgd", (0.1,))
        sched = S.ReduceLROnPlateau(opt, patience=0, min_lr=[0.0])
        params = torch.zeros(1) if S is TS else lightgrad.zeros(1)
        if hasattr(opt, "add_param_group"):
            opt.add_param_group({"params": [params], "lr": 0.2})
        else:
            opt.param_groups.append({**opt.defaults, "params": [params], "lr": 0.2})
        sched.step(1.0)
        with pytest.raises(RuntimeError, match="number of param groups"):
            sched.step(2.0)
        opt.param_groups.pop()
        sched2 = S.ReduceLROnPlateau(opt, patience=0, min_lr=0.05)
        opt.param_groups.append({**opt.param_groups[0], "lr": 0.2})
        sched2.step(1.0)
        sched2.step(2.0)
        assert [float(g["lr"]) for g in opt.param_groups] == pytest.approx([0.05, 0.05])


# ---------------------------------------------------------------------------- composition
def test_sequential_switches_at_milestones() -> None:
    opt = make_lg_opt("sgd", (1.0,))
    warm = LS.LinearLR(opt, start_factor=0.25, total_iters=3)
    decay = LS.StepLR(opt, step_size=2, gamma=0.1)
    sched = LS.SequentialLR(opt, [warm, decay], milestones=[3])
    lrs = [sched.get_last_lr()[0]]
    for _ in range(7):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    np.testing.assert_allclose(lrs, [0.25, 0.5, 0.75, 1.0, 1.0, 0.1, 0.1, 0.01], rtol=1e-12)
    assert sched.last_epoch == 7 and decay.last_epoch == 4


def test_sequential_restarts_a_chain_at_its_milestone() -> None:
    """A ChainedScheduler after a milestone restarts all its members (PyTorch cannot)."""
    opt = make_lg_opt("sgd", TWO)
    chain = LS.ChainedScheduler([LS.ExponentialLR(opt, gamma=0.9), LS.StepLR(opt, 4, gamma=0.5)])
    sched = LS.SequentialLR(opt, [LS.ConstantLR(opt, factor=0.5, total_iters=3), chain],
                            milestones=[6])
    for epoch in range(20):
        factor = (0.5 if epoch < 3 else 1.0) if epoch < 6 else (
            0.9 ** (epoch - 6) * 0.5 ** ((epoch - 6) // 4))
        np.testing.assert_allclose(sched.get_last_lr(), [lr * factor for lr in TWO],
                                   rtol=1e-12, err_msg=f"epoch {epoch}")
        opt.step()
        sched.step()


def test_chained_multiplies_effects() -> None:
    opt = make_lg_opt("sgd", (1.0,))
    sched = LS.ChainedScheduler([LS.ExponentialLR(opt, 0.5), LS.StepLR(opt, 2, gamma=0.1)])
    lrs = [sched.get_last_lr()[0]]
    for _ in range(4):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    np.testing.assert_allclose(lrs, [1.0, 0.5, 0.025, 0.0125, 0.000625], rtol=1e-12)


# ---------------------------------------------------------------------------- bad arguments
def _both_raise(make: Callable[[Any, Any], Any], exc: type[Exception], match: str,
                opt: str = "sgd", lrs: tuple[float, ...] = (0.1,),
                torch_exc: type[Exception] | None = None) -> None:
    with pytest.raises(torch_exc or exc):
        make(TS, make_torch_opt(opt, lrs))
    with pytest.raises(exc, match=match):
        make(LS, make_lg_opt(opt, lrs))


BAD = [
    ("onecycle_no_total_steps", lambda S, o: S.OneCycleLR(o, max_lr=0.1),
     ValueError, r"total_steps OR \(epochs AND steps_per_epoch\)", "sgd_momentum"),
    ("onecycle_epochs_only", lambda S, o: S.OneCycleLR(o, max_lr=0.1, epochs=3),
     ValueError, "total_steps OR", "sgd_momentum"),
    ("onecycle_total_steps_0", lambda S, o: S.OneCycleLR(o, max_lr=0.1, total_steps=0),
     ValueError, "positive integer total_steps, but got 0", "sgd_momentum"),
    ("onecycle_total_steps_float", lambda S, o: S.OneCycleLR(o, 0.1, total_steps=10.0),
     ValueError, "positive integer total_steps", "sgd_momentum"),
    ("onecycle_epochs_negative", lambda S, o: S.OneCycleLR(
        o, 0.1, epochs=-2, steps_per_epoch=3), ValueError, "positive integer epochs", "sgd"),
    ("onecycle_steps_per_epoch", lambda S, o: S.OneCycleLR(
        o, 0.1, epochs=2, steps_per_epoch=0), ValueError, "positive integer steps_per_epoch",
     "sgd"),
    ("onecycle_pct_start_int", lambda S, o: S.OneCycleLR(o, 0.1, total_steps=9, pct_start=1),
     ValueError, "float between 0 and 1 pct_start", "sgd_momentum"),
    ("onecycle_pct_start_big", lambda S, o: S.OneCycleLR(o, 0.1, total_steps=9,
                                                          pct_start=1.5),
     ValueError, "pct_start, but got 1.5", "sgd_momentum"),
    ("onecycle_anneal", lambda S, o: S.OneCycleLR(o, 0.1, total_steps=9,
                                                   anneal_strategy="exp"),
     ValueError, "anneal_strategy must be one of 'cos' or 'linear'", "sgd_momentum"),
    ("onecycle_max_lr_len", lambda S, o: S.OneCycleLR(o, [0.1, 0.2, 0.3], total_steps=9),
     ValueError, "max_lr must have the same length as optimizer.param_groups", "sgd_momentum"),
    ("cyclic_mode", lambda S, o: S.CyclicLR(o, 0.01, 0.1, mode="square"),
     ValueError, "mode is invalid", "sgd_momentum"),
    ("cyclic_base_lr_len", lambda S, o: S.CyclicLR(o, [0.01, 0.02, 0.03], 0.1),
     ValueError, "base_lr must have the same length", "sgd_momentum"),
    ("lambda_count", lambda S, o: S.LambdaLR(o, [lambda e: 1.0] * 3),
     ValueError, "Expected 2 lr_lambdas, but got 3", "sgd"),
    ("multiplicative_not_callable", lambda S, o: S.MultiplicativeLR(o, 0.9),
     TypeError, "lr_lambda should be a function, but got float", "sgd"),
    ("constant_factor_big", lambda S, o: S.ConstantLR(o, factor=1.5),
     ValueError, "between 0 and 1", "sgd"),
    ("constant_factor_negative", lambda S, o: S.ConstantLR(o, factor=-0.1),
     ValueError, "factor=-0.1", "sgd"),
    ("linear_start_0", lambda S, o: S.LinearLR(o, start_factor=0.0),
     ValueError, "start_factor=0.0", "sgd"),
    ("linear_end_big", lambda S, o: S.LinearLR(o, end_factor=1.5),
     ValueError, "end_factor=1.5", "sgd"),
    ("warm_T_0_zero", lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=0),
     ValueError, "positive integer T_0, but got 0", "sgd"),
    ("warm_T_0_float", lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=2.5),
     ValueError, "positive integer T_0", "sgd"),
    ("warm_T_mult", lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0),
     ValueError, "integer T_mult >= 1, but got 0", "sgd"),
    ("warm_eta_min", lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=2, eta_min="0"),
     ValueError, "float or int eta_min", "sgd"),
    ("plateau_factor", lambda S, o: S.ReduceLROnPlateau(o, factor=1.0),
     ValueError, "factor should be < 1.0", "sgd"),
    ("plateau_mode", lambda S, o: S.ReduceLROnPlateau(o, mode="avg"),
     ValueError, "mode 'avg' is unknown", "sgd"),
    ("plateau_threshold_mode", lambda S, o: S.ReduceLROnPlateau(o, threshold_mode="pct"),
     ValueError, "threshold mode 'pct' is unknown", "sgd"),
    ("plateau_min_lr_len", lambda S, o: S.ReduceLROnPlateau(o, min_lr=[0.1, 0.1, 0.1]),
     ValueError, "expected 2 min_lrs, got 3", "sgd"),
    ("sequential_empty", lambda S, o: S.SequentialLR(o, [], milestones=[]),
     ValueError, "expects at least one scheduler", "sgd"),
    ("sequential_milestones", lambda S, o: S.SequentialLR(
        o, [S.ConstantLR(o), S.ExponentialLR(o, 0.9)], milestones=[2, 4]),
     ValueError, "number of schedulers 2 and the number of milestones to be equal to 2", "sgd"),
    ("sequential_plateau", lambda S, o: S.SequentialLR(
        o, [S.ConstantLR(o), S.ReduceLROnPlateau(o)], milestones=[2]),
     ValueError, "does not support `ReduceLROnPlateau`", "sgd"),
    ("chained_empty", lambda S, o: S.ChainedScheduler([]),
     ValueError, "at least one scheduler to be chained", "sgd"),
    ("chained_plateau", lambda S, o: S.ChainedScheduler([S.ReduceLROnPlateau(o)]),
     ValueError, "does not support `ReduceLROnPlateau`", "sgd"),
]


@pytest.mark.parametrize("bad", BAD, ids=lambda b: b[0])
def test_bad_arguments(bad: tuple) -> None:
    name, make, exc, match, opt = bad
    _both_raise(make, exc, match, opt=opt, lrs=TWO)


def test_cycle_momentum_needs_momentum_or_betas() -> None:
    t_opt = torch.optim.Adagrad([torch.zeros(1, requires_grad=True)], lr=0.1)
    l_opt = lightgrad.optim.Adagrad([lightgrad.zeros(1, requires_grad=True)], lr=0.1)
    for S, opt in ((TS, t_opt), (LS, l_opt)):
        for make in (lambda: S.OneCycleLR(opt, 1.0, total_steps=10),
                     lambda: S.CyclicLR(opt, 0.01, 0.1)):
            with pytest.raises(ValueError, match="must support momentum or beta1"):
                make()
    # without cycling the momentum any optimizer works
    LS.OneCycleLR(l_opt, 1.0, total_steps=10, cycle_momentum=False)


def test_schedulers_on_different_optimizers_are_rejected() -> None:
    for S, mk in ((TS, make_torch_opt), (LS, make_lg_opt)):
        o1, o2 = mk("sgd", (0.1,)), mk("sgd", (0.1,))
        with pytest.raises(ValueError, match="belong to the same optimizer"):
            S.SequentialLR(o1, [S.ConstantLR(o1), S.ExponentialLR(o2, 0.9)], milestones=[2])
        with pytest.raises(ValueError, match="belong to the same optimizer"):
            S.ChainedScheduler([S.ConstantLR(o1), S.ExponentialLR(o2, 0.9)])


def test_not_an_optimizer() -> None:
    for S in (TS, LS):
        with pytest.raises(TypeError, match="list is not an Optimizer"):
            S.StepLR([lightgrad.zeros(1)], step_size=2)
        with pytest.raises(TypeError, match="is not an Optimizer"):
            S.ReduceLROnPlateau(object())
    with pytest.raises(TypeError, match="at index 1 should have `optimizer`"):
        opt = make_lg_opt("sgd", (0.1,))
        LS.ChainedScheduler([LS.ConstantLR(opt), object()])


def test_errors_where_torch_divides_by_zero() -> None:
    """PyTorch accepts these and fails later with ZeroDivisionError; we reject them upfront."""
    opt = make_lg_opt("sgd_momentum", (0.1,))
    with pytest.raises(ValueError, match=r"StepLR: expected a positive integer step_size, but "
                                         r"got 0"):
        LS.StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="step_size, but got -2"):
        LS.StepLR(opt, step_size=-2)
    with pytest.raises(ValueError, match="step_size, but got 1.5"):
        LS.StepLR(opt, step_size=1.5)
    with pytest.raises(ValueError, match=r"CosineAnnealingLR: expected a positive T_max, but "
                                         r"got 0"):
        LS.CosineAnnealingLR(opt, T_max=0)
    with pytest.raises(ValueError, match="CyclicLR: expected step_size_up > 0, but got 0"):
        LS.CyclicLR(opt, 0.01, 0.1, step_size_up=0)
    t_opt = make_torch_opt("sgd_momentum", (0.1,))
    t_s = TS.StepLR(t_opt, step_size=0)
    t_opt.step()
    with pytest.raises(ZeroDivisionError):
        t_s.step()
    with pytest.raises(ZeroDivisionError):
        TS.CyclicLR(t_opt, 0.01, 0.1, step_size_up=0)


def test_constant_lr_with_factor_0_restores_base_lr() -> None:
    """PyTorch divides by factor=0 at total_iters; we go back to the initial lr instead."""
    opt = make_lg_opt("sgd", TWO)
    sched = LS.ConstantLR(opt, factor=0.0, total_iters=2)
    lrs = [sched.get_last_lr()]
    for _ in range(3):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr())
    assert lrs == [[0.0, 0.0], [0.0, 0.0], list(TWO), list(TWO)]


# ---------------------------------------------------------------------------- warnings
def test_step_order_and_get_lr_warnings() -> None:
    for S, mk in ((TS, make_torch_opt), (LS, make_lg_opt)):
        opt = mk("sgd", (0.1,))
        sched = S.StepLR(opt, step_size=2)
        with pytest.warns(UserWarning, match=r"lr_scheduler.step\(\)` before `optimizer.step"):
            sched.step()
        with pytest.warns(UserWarning, match=r"please use `get_last_lr\(\)`"):
            sched.get_lr()
        opt2 = mk("sgd", (0.1,))
        sched2 = S.ExponentialLR(opt2, 0.9)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            opt2.step()
            sched2.step()
            sched2.step()  # only the first scheduler step is checked


def test_verbose_is_deprecated_but_accepted() -> None:
    opt = make_lg_opt("sgd", (0.1,))
    with pytest.warns(UserWarning, match="verbose parameter is deprecated"):
        LS.StepLR(opt, 3, 0.5, -1, True)
    with pytest.warns(UserWarning, match="verbose parameter is deprecated"):
        LS.ReduceLROnPlateau(opt, verbose=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LS.ExponentialLR(opt, 0.5, verbose="deprecated")


def test_old_base_class_name() -> None:
    assert issubclass(LS._LRScheduler, LS.LRScheduler)
    assert isinstance(LS.StepLR(make_lg_opt("sgd", (0.1,)), 2), LS.LRScheduler)
    assert set(LS.__all__) == set(TS.__all__)


def test_tensor_learning_rates_are_filled_in_place() -> None:
    """A group lr held as a 0-d tensor is updated in place (never replaced), as in PyTorch."""
    lr = lightgrad.tensor(0.1, dtype=lightgrad.float64)
    opt = lightgrad.optim.SGD([lightgrad.zeros(1, requires_grad=True)], lr=lr)
    t_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)],
                            lr=torch.tensor(0.1, dtype=torch.float64))
    seqs = []
    for S, o in ((LS, opt), (TS, t_opt)):
        sched = S.ExponentialLR(o, 0.9)
        seq = []
        for _ in range(5):
            o.step()
            sched.step()
            seq.append([float(v) for v in sched.get_last_lr()] + [float(o.param_groups[0]["lr"])])
        seqs.append(seq)
        last = sched.get_last_lr()[0]
        assert last is not o.param_groups[0]["lr"]  # copies, never aliases
    assert opt.param_groups[0]["lr"] is lr
    np.testing.assert_allclose(seqs[0], seqs[1], rtol=1e-12)


def test_any_object_with_param_groups_works() -> None:
    """Duck typing: a custom optimizer needs only ``param_groups`` (and ``defaults``)."""
    opt = _StandInOptimizer([{"params": [], "lr": 1.0}, {"params": [], "lr": 0.5}],
                            {"lr": 1.0, "momentum": 0.9})
    sched = LS.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    for _ in range(9):
        opt.step()
        sched.step()
    assert [g["lr"] for g in opt.param_groups] == sched.get_last_lr()
    assert sched.get_last_lr()[0] == pytest.approx(1.0 / 25 / 1e4)
    assert opt.param_groups[1]["momentum"] == pytest.approx(0.95)


# ---------------------------------------------------------------------------- with training
@pytest.mark.parametrize("kind,make", [
    ("sgd_momentum", lambda S, o: S.OneCycleLR(o, max_lr=0.5, total_steps=12)),
    ("sgd", lambda S, o: S.StepLR(o, step_size=3, gamma=0.5)),
    ("adam", lambda S, o: S.CyclicLR(o, 0.01, 0.2, step_size_up=3, mode="triangular2")),
    ("sgd_momentum", lambda S, o: S.SequentialLR(
        o, [S.LinearLR(o, 0.2, total_iters=4), S.CosineAnnealingLR(o, T_max=8)], [4])),
], ids=["onecycle_sgd", "step_sgd", "cyclic_adam_betas", "sequential_sgd"])
def test_optimizer_follows_the_schedule(kind: str, make: Callable, rng) -> None:
    """12 optimizer steps on a least-squares problem: parameters match PyTorch's trajectory, so
    the optimizer reads the scheduled lr (and momentum / beta1) at every step."""
    a = rng.standard_normal((8, 3))
    y = rng.standard_normal(8)
    w0 = rng.standard_normal(3)
    finals = []
    for lib, S, lrs in ((torch, TS, (0.1,)), (lightgrad, LS, (0.1,))):
        w = lib.tensor(w0.copy(), requires_grad=True)
        kw = _defaults(kind, lrs[0])
        cls = lib.optim.Adam if kind == "adam" else lib.optim.SGD
        opt = cls([w], **kw)
        sched = make(S, opt)
        traj = []
        at, yt = lib.tensor(a), lib.tensor(y)
        for _ in range(12):
            opt.zero_grad()
            loss = ((at @ w - yt) ** 2).mean()
            loss.backward()
            opt.step()
            sched.step()
            traj.append(w.detach().numpy().copy())
        finals.append(np.array(traj))
    rtol, atol = tol("optimizer", np.float64)
    np.testing.assert_allclose(finals[1], finals[0], rtol=rtol, atol=atol)
