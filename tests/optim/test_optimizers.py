"""Optimizers: 10-step trajectories against torch.optim, state dicts, closures, errors.

Every trajectory runs the same model in both frameworks: a few parameters of different shapes
(a 0-d one, a non-contiguous one, and one that never gets a gradient), a quartic loss built with
each framework's own autograd, ``zero_grad/backward/step`` ten times. Parameters and the final
optimizer state (names and values) are compared with the 'optimizer' tolerance row.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import lightgrad
from lightgrad.optim.regularization import l1_penalty, l2_penalty
from tests.helpers import tol

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

SHAPES = [(3, 4), (5,), (), (2, 3, 2)]  # the last one is stored transposed (non-contiguous)
DTYPES = [np.float32, np.float64]
# state entries that are Python floats in lightgrad and 0-d tensors in PyTorch
SCALAR_STATE = ("step", "mu_product")


# ----------------------------------------------------------------------------- the model
@dataclasses.dataclass
class Problem:
    inits: list[np.ndarray]  # parameter values; the last one is never used by the loss
    targets: list[np.ndarray]
    weights: list[np.ndarray]

    @classmethod
    def draw(cls, rng: np.random.Generator, dtype: Any) -> Problem:
        inits = [rng.uniform(-1.5, 1.5, s).astype(dtype) for s in SHAPES]
        inits[-1] = np.ascontiguousarray(inits[-1].T).T  # a transposed (F-ordered) parameter
        inits.append(rng.standard_normal((2, 2)).astype(dtype))  # the unused parameter
        targets = [rng.standard_normal(s).astype(dtype) for s in SHAPES]
        weights = [rng.uniform(0.5, 2.0, s).astype(dtype) for s in SHAPES]
        return cls(inits, targets, weights)

    def params(self, lib: Any) -> list[Any]:
        if lib is torch:
            return [torch.nn.Parameter(torch.from_numpy(a.copy())) for a in self.inits]
        out = []
        for a in self.inits:
            arr = a.copy(order="K")  # keeps the transposed layout
            out.append(lightgrad.nn.Parameter(lightgrad.from_numpy(arr)))
        assert not out[3].data.flags.c_contiguous
        return out

    def loss(self, lib: Any, params: list[Any]) -> Any:
        total = None
        for p, t, w in zip(params, self.targets, self.weights):  # the last param is unused
            tt, ww = (torch.from_numpy(t), torch.from_numpy(w)) if lib is torch else \
                (lightgrad.from_numpy(t), lightgrad.from_numpy(w))
            d = p - tt
            term = (ww * d * d).sum() + 0.05 * (p * p * p * p).sum()
            total = term if total is None else total + term
        return total


def _numpy(t: Any) -> np.ndarray:
    return np.array(t.detach().numpy())


def _train(lib: Any, prob: Problem, make: Callable, steps: int,
           params: list[Any] | None = None, opt: Any = None) -> tuple[list[Any], Any]:
    if params is None:
        params = prob.params(lib)
    if opt is None:
        opt = make(lib, params)
    for _ in range(steps):
        opt.zero_grad()
        prob.loss(lib, params).backward()
        opt.step()
    return params, opt


def _compare_params(lg: list[Any], th: list[Any], dtype: Any, what: str = "") -> None:
    rtol, atol = tol("optimizer", dtype)
    for i, (a, b) in enumerate(zip(lg, th)):
        av, bv = _numpy(a), _numpy(b)
        assert av.dtype == bv.dtype == np.dtype(dtype), f"{what} param {i}: dtype {av.dtype}"
        np.testing.assert_allclose(av, bv, rtol=rtol, atol=atol, err_msg=f"{what} param {i}")


def _compare_state(lg_opt: Any, th_opt: Any, dtype: Any, what: str = "") -> None:
    """Same state names per parameter id, same values; same group keys."""
    rtol, atol = tol("optimizer", dtype)
    ls, ts = lg_opt.state_dict(), th_opt.state_dict()
    assert sorted(ls["state"]) == sorted(ts["state"]), f"{what}: state ids differ"
    for pid, tst in ts["state"].items():
        lst = ls["state"][pid]
        assert set(lst) == set(tst), f"{what} param {pid}: state keys {set(lst)} != {set(tst)}"
        for key, tv in tst.items():
            lv = lst[key]
            if key in SCALAR_STATE:
                assert isinstance(lv, float), f"{what} {key}: {type(lv)}"
                # torch keeps these in float32 scalars (its default dtype): compare loosely
                assert lv == pytest.approx(float(tv), rel=1e-6), f"{what} {key}"
            else:
                assert isinstance(lv, lightgrad.Tensor), f"{what} {key}: {type(lv)}"
                assert lv.dtype == np.dtype(dtype), f"{what} {key}: dtype {lv.dtype}"
                np.testing.assert_allclose(lv.numpy(), _numpy(tv), rtol=rtol, atol=atol,
                                           err_msg=f"{what} param {pid} state {key}")
    assert len(ls["param_groups"]) == len(ts["param_groups"])
    for lg_g, th_g in zip(ls["param_groups"], ts["param_groups"]):
        assert set(lg_g) == set(th_g), f"{what}: group keys {set(lg_g) ^ set(th_g)}"
        for key, tv in th_g.items():
            lv = lg_g[key]
            assert lv == (list(tv) if isinstance(lv, list) else tv) or \
                (isinstance(tv, tuple) and tuple(lv) == tv), f"{what}: group {key} {lv} != {tv}"


# ----------------------------------------------------------------------------- trajectories
@dataclasses.dataclass
class OptCase:
    id: str
    cls: str  # name in lightgrad.optim and torch.optim
    kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    # per-group options (list of (param indices, options)); None: one group of all params
    groups: list[tuple[list[int], dict[str, Any]]] | None = None

    def make(self, lib: Any, params: list[Any]) -> Any:
        spec: Any = params
        if self.groups is not None:
            spec = [{"params": [params[i] for i in idx], **opts} for idx, opts in self.groups]
        return getattr(lib.optim, self.cls)(spec, **self.kwargs)


GROUPS = [([0, 1], {"lr": 0.05}), ([2, 3, 4], {})]

CASES = [
    OptCase("sgd", "SGD", {"lr": 0.05}),
    OptCase("sgd_default_lr", "SGD"),
    OptCase("sgd_momentum", "SGD", {"lr": 0.05, "momentum": 0.9}),
    OptCase("sgd_dampening", "SGD", {"lr": 0.05, "momentum": 0.8, "dampening": 0.3}),
    OptCase("sgd_nesterov", "SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    OptCase("sgd_weight_decay", "SGD", {"lr": 0.05, "weight_decay": 0.1}),
    OptCase("sgd_maximize", "SGD", {"lr": 0.01, "maximize": True}),
    OptCase("sgd_all", "SGD", {"lr": 0.02, "momentum": 0.5, "nesterov": True,
                               "weight_decay": 0.2, "maximize": True}),
    OptCase("sgd_groups", "SGD", {"lr": 0.01, "momentum": 0.9},
            [([0, 1], {"lr": 0.05, "momentum": 0.5}), ([2, 3, 4], {"weight_decay": 0.1})]),
    OptCase("adam", "Adam", {"lr": 0.05}),
    OptCase("adam_default", "Adam"),
    OptCase("adam_amsgrad", "Adam", {"lr": 0.05, "amsgrad": True}),
    OptCase("adam_weight_decay", "Adam", {"lr": 0.05, "weight_decay": 0.1}),
    OptCase("adam_maximize", "Adam", {"lr": 0.01, "maximize": True}),
    OptCase("adam_betas", "Adam", {"lr": 0.05, "betas": (0.3, 0.8), "eps": 1e-3}),
    OptCase("adam_all", "Adam", {"lr": 0.02, "amsgrad": True, "weight_decay": 0.3,
                                 "maximize": True}),
    OptCase("adam_decoupled", "Adam", {"lr": 0.05, "weight_decay": 0.2,
                                       "decoupled_weight_decay": True}),
    OptCase("adam_groups", "Adam", {"lr": 0.01}, GROUPS),
    OptCase("adamw", "AdamW", {"lr": 0.05}),
    OptCase("adamw_amsgrad_wd", "AdamW", {"lr": 0.05, "weight_decay": 0.3, "amsgrad": True}),
    OptCase("adamw_maximize", "AdamW", {"lr": 0.01, "maximize": True}),
    OptCase("adamw_groups", "AdamW", {"lr": 0.01},
            [([0, 1], {"lr": 0.05, "weight_decay": 0.0}), ([2, 3, 4], {"amsgrad": True})]),
    OptCase("adamax", "Adamax", {"lr": 0.05}),
    OptCase("adamax_default", "Adamax"),
    OptCase("adamax_wd_maximize", "Adamax", {"lr": 0.01, "weight_decay": 0.1,
                                             "maximize": True}),
    OptCase("adamax_betas", "Adamax", {"lr": 0.05, "betas": (0.4, 0.5), "eps": 1e-2}),
    OptCase("adamax_groups", "Adamax", {"lr": 0.01}, GROUPS),
    OptCase("nadam", "NAdam", {"lr": 0.05}),
    OptCase("nadam_default", "NAdam"),
    OptCase("nadam_weight_decay", "NAdam", {"lr": 0.05, "weight_decay": 0.1}),
    OptCase("nadam_decoupled", "NAdam", {"lr": 0.05, "weight_decay": 0.1,
                                         "decoupled_weight_decay": True}),
    OptCase("nadam_momentum_decay", "NAdam", {"lr": 0.05, "momentum_decay": 0.05,
                                              "betas": (0.6, 0.9)}),
    OptCase("nadam_maximize", "NAdam", {"lr": 0.01, "maximize": True}),
    OptCase("nadam_groups", "NAdam", {"lr": 0.01}, GROUPS),
    OptCase("rmsprop", "RMSprop", {"lr": 0.01}),
    OptCase("rmsprop_centered", "RMSprop", {"lr": 0.01, "centered": True}),
    OptCase("rmsprop_momentum", "RMSprop", {"lr": 0.01, "momentum": 0.9}),
    OptCase("rmsprop_centered_momentum_wd", "RMSprop", {"lr": 0.01, "centered": True,
                                                        "momentum": 0.5, "weight_decay": 0.1}),
    # at small alpha the centered variance estimate v - avg(g)^2 is a difference of close
    # numbers: float32 trajectories then differ from the float64 truth by more than the
    # tolerance in both frameworks, so alpha < 0.5 runs uncentered
    OptCase("rmsprop_alpha", "RMSprop", {"lr": 0.01, "alpha": 0.3, "eps": 1e-3}),
    OptCase("rmsprop_alpha_centered", "RMSprop", {"lr": 0.01, "alpha": 0.8, "centered": True,
                                                  "eps": 1e-3}),
    OptCase("rmsprop_maximize", "RMSprop", {"lr": 0.005, "maximize": True}),
    OptCase("rmsprop_groups", "RMSprop", {"lr": 0.01}, GROUPS),
    OptCase("adagrad", "Adagrad", {"lr": 0.1}),
    OptCase("adagrad_default", "Adagrad"),
    OptCase("adagrad_lr_decay", "Adagrad", {"lr": 0.1, "lr_decay": 0.1}),
    OptCase("adagrad_weight_decay", "Adagrad", {"lr": 0.1, "weight_decay": 0.2}),
    OptCase("adagrad_initial_acc", "Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5,
                                               "eps": 1e-3}),
    OptCase("adagrad_maximize", "Adagrad", {"lr": 0.05, "maximize": True}),
    OptCase("adagrad_groups", "Adagrad", {"lr": 0.05},
            [([0, 1], {"lr": 0.1, "lr_decay": 0.2}), ([2, 3, 4], {})]),
    OptCase("adadelta", "Adadelta"),
    OptCase("adadelta_rho", "Adadelta", {"lr": 0.5, "rho": 0.5, "eps": 1e-3}),
    OptCase("adadelta_weight_decay", "Adadelta", {"weight_decay": 0.1}),
    OptCase("adadelta_maximize", "Adadelta", {"lr": 2.0, "maximize": True}),
    OptCase("adadelta_groups", "Adadelta", {"lr": 1.0},
            [([0, 1], {"lr": 3.0, "rho": 0.7}), ([2, 3, 4], {})]),
]


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_trajectory(case: OptCase, dtype: Any, rng: np.random.Generator) -> None:
    prob = Problem.draw(rng, dtype)
    lg_params, lg_opt = _train(lightgrad, prob, case.make, 10)
    th_params, th_opt = _train(torch, prob, case.make, 10)
    _compare_params(lg_params, th_params, dtype, case.id)
    _compare_state(lg_opt, th_opt, dtype, case.id)
    # the parameter without a gradient was skipped: unchanged, no state (Adagrad's is eager)
    assert lg_params[-1].grad is None
    np.testing.assert_array_equal(_numpy(lg_params[-1]), prob.inits[-1])
    if case.cls != "Adagrad":
        assert lg_params[-1] not in lg_opt.state
    assert lg_params[3].data.flags.f_contiguous  # the update kept the layout


@pytest.mark.parametrize("case", [c for c in CASES if c.id in (
    "sgd_momentum", "adam_amsgrad", "nadam_weight_decay", "rmsprop_centered_momentum_wd",
    "adadelta", "adamax", "adagrad_lr_decay")], ids=lambda c: c.id)
def test_updates_in_place(case: OptCase, rng: np.random.Generator) -> None:
    """The parameters' and state's arrays are updated in place; versions are bumped."""
    prob = Problem.draw(rng, np.float32)
    params, opt = _train(lightgrad, prob, case.make, 2)
    arrays = [p.data for p in params]
    versions = [p._version for p in params]
    state_arrays = {id(v.data) for st in opt.state.values() for v in st.values()
                    if isinstance(v, lightgrad.Tensor)}
    bufs = {k: [id(b) for b in v] for k, v in opt._bufs.items()}
    _train(lightgrad, prob, case.make, 3, params, opt)
    assert all(p.data is a for p, a in zip(params, arrays))
    assert [p._version for p in params[:-1]] == [v + 3 for v in versions[:-1]]
    assert params[-1]._version == versions[-1]  # no grad: untouched
    assert {id(v.data) for st in opt.state.values() for v in st.values()
            if isinstance(v, lightgrad.Tensor)} == state_arrays
    assert {k: [id(b) for b in v] for k, v in opt._bufs.items()} == bufs  # no new scratch


def test_lr_change_and_added_group_match_torch(rng: np.random.Generator) -> None:
    """Editing ``group['lr']`` mid-run (what schedulers do) and ``add_param_group``."""
    prob = Problem.draw(rng, np.float64)
    out = {}
    for lib in (lightgrad, torch):
        params = prob.params(lib)
        opt = lib.optim.Adam(params[:2], lr=0.05)
        _train(lib, prob, None, 3, params, opt)
        opt.param_groups[0]["lr"] = 0.01
        opt.add_param_group({"params": params[2:4], "lr": 0.1, "amsgrad": True})
        _train(lib, prob, None, 4, params, opt)
        out[lib] = params, opt
    _compare_params(out[lightgrad][0], out[torch][0], np.float64)
    _compare_state(out[lightgrad][1], out[torch][1], np.float64)


def test_float32_state_stays_float32(rng: np.random.Generator) -> None:
    prob = Problem.draw(rng, np.float32)
    for cls in ("SGD", "Adam", "AdamW", "Adamax", "NAdam", "RMSprop", "Adagrad", "Adadelta"):
        kw = {"momentum": 0.9} if cls in ("SGD", "RMSprop") else {}
        params, opt = _train(lightgrad, prob,
                             lambda lib, ps, c=cls, k=kw: getattr(lib.optim, c)(ps, **k), 3)
        for p in params:
            assert p.dtype == np.float32, cls
            for v in opt.state[p].values():
                if isinstance(v, lightgrad.Tensor):
                    assert v.dtype == np.float32, cls


# ----------------------------------------------------------------------------- closure
@pytest.mark.parametrize("cls", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_closure(cls: str, rng: np.random.Generator) -> None:
    prob = Problem.draw(rng, np.float64)
    losses = {}
    params_out = {}
    for lib in (lightgrad, torch):
        params = prob.params(lib)
        opt = getattr(lib.optim, cls)(params, lr=0.05)

        def closure(lib=lib, params=params, opt=opt):
            opt.zero_grad()
            loss = prob.loss(lib, params)
            loss.backward()
            return loss

        got = []
        for _ in range(5):
            with lib.no_grad():  # the closure still runs with gradients enabled
                got.append(float(opt.step(closure)))
        losses[lib] = got
        params_out[lib] = params
    assert losses[lightgrad] == pytest.approx(losses[torch], rel=1e-7)
    _compare_params(params_out[lightgrad], params_out[torch], np.float64)


def test_step_without_closure_returns_none() -> None:
    p = lightgrad.nn.Parameter(lightgrad.ones(2))
    p.grad = lightgrad.ones(2)
    assert lightgrad.optim.SGD([p], lr=0.1).step() is None


# ----------------------------------------------------------------------------- state_dict
ROUND_TRIP = [c for c in CASES if c.id in (
    "sgd_momentum", "sgd_groups", "adam_amsgrad", "adam_groups", "adamw_amsgrad_wd", "adamax",
    "nadam_weight_decay", "rmsprop_centered_momentum_wd", "adagrad_lr_decay", "adadelta_rho")]


@pytest.mark.parametrize("case", ROUND_TRIP, ids=lambda c: c.id)
def test_state_dict_round_trip(case: OptCase, rng: np.random.Generator) -> None:
    """Save after 5 steps, load into a fresh optimizer: the next 5 steps match an
    uninterrupted run exactly."""
    prob = Problem.draw(rng, np.float32)
    params, opt = _train(lightgrad, prob, case.make, 5)
    sd = opt.state_dict()
    assert all(isinstance(k, int) for k in sd["state"])
    assert [pid for g in sd["param_groups"] for pid in g["params"]] == list(range(len(params)))
    fresh = [lightgrad.nn.Parameter(lightgrad.from_numpy(p.detach().numpy().copy(order="K")))
             for p in params]
    opt2 = case.make(lightgrad, fresh)
    opt2.load_state_dict(sd)
    assert opt2.param_groups[0]["params"][0] is fresh[0]
    _train(lightgrad, prob, case.make, 5, params, opt)
    _train(lightgrad, prob, case.make, 5, fresh, opt2)
    for a, b in zip(params, fresh):
        np.testing.assert_array_equal(_numpy(a), _numpy(b))
    for p, q in zip(params, fresh):  # the loaded state is a copy, not shared
        for key, v in opt.state[p].items():
            w = opt2.state[q][key]
            if isinstance(v, lightgrad.Tensor):
                assert w.data is not v.data
                np.testing.assert_array_equal(w.numpy(), v.numpy())
            else:
                assert w == v


def test_state_dict_deepcopy_and_groups(rng: np.random.Generator) -> None:
    prob = Problem.draw(rng, np.float64)
    params, opt = _train(lightgrad, prob, OptCase("a", "Adam", {}, GROUPS).make, 2)
    snap = copy.deepcopy(opt.state_dict())
    sd = opt.state_dict()
    assert sd["param_groups"][0]["lr"] == 0.05 and sd["param_groups"][1]["lr"] == 0.001
    assert sd["param_groups"][1]["params"] == [2, 3, 4]
    assert sd["state"][0]["step"] == 2.0
    assert sd["state"][0] is opt.state[params[0]]  # like PyTorch: references, not copies
    _train(lightgrad, prob, None, 1, params, opt)
    assert snap["state"][0]["step"] == 2.0 and sd["state"][0]["step"] == 3.0
    assert "params" in opt.param_groups[0] and "params" not in snap["param_groups"][0] or \
        isinstance(snap["param_groups"][0]["params"][0], int)


@pytest.mark.parametrize("case", [c for c in CASES if c.id in (
    "sgd_momentum", "adam_amsgrad", "adamw", "adamax", "nadam", "rmsprop_centered_momentum_wd",
    "adagrad_lr_decay", "adadelta")], ids=lambda c: c.id)
def test_load_torch_state_dict(case: OptCase, rng: np.random.Generator) -> None:
    """A torch.optim state dict loads into the matching lightgrad optimizer and the run
    continues as torch's does."""
    prob = Problem.draw(rng, np.float64)
    th_params, th_opt = _train(torch, prob, case.make, 5)
    lg_params = [lightgrad.nn.Parameter(lightgrad.from_numpy(_numpy(p))) for p in th_params]
    lg_opt = case.make(lightgrad, lg_params)
    lg_opt.load_state_dict(th_opt.state_dict())
    for st in lg_opt.state.values():
        for key, v in st.items():
            assert isinstance(v, float if key in SCALAR_STATE else lightgrad.Tensor), key
    _train(torch, prob, case.make, 5, th_params, th_opt)
    _train(lightgrad, prob, case.make, 5, lg_params, lg_opt)
    _compare_params(lg_params, th_params, np.float64, case.id)
    _compare_state(lg_opt, th_opt, np.float64, case.id)


def test_load_state_dict_casts_dtype(rng: np.random.Generator) -> None:
    prob = Problem.draw(rng, np.float64)
    params, opt = _train(lightgrad, prob, lambda lib, ps: lib.optim.Adam(ps, lr=0.1), 2)
    p32 = [lightgrad.nn.Parameter(p.detach().float()) for p in params]
    opt32 = lightgrad.optim.Adam(p32, lr=0.1)
    opt32.load_state_dict(opt.state_dict())
    assert opt32.state[p32[0]]["exp_avg"].dtype == np.float32
    assert opt32.state[p32[0]]["step"] == 2.0


def test_adamw_load_keeps_decoupled(rng: np.random.Generator) -> None:
    p = lightgrad.nn.Parameter(lightgrad.ones(2))
    sd = lightgrad.optim.Adam([p]).state_dict()
    opt = lightgrad.optim.AdamW([lightgrad.nn.Parameter(lightgrad.ones(2))])
    opt.load_state_dict(sd)
    assert opt.param_groups[0]["decoupled_weight_decay"] is True


def test_load_old_state_dict_fills_missing_keys() -> None:
    p = lightgrad.nn.Parameter(lightgrad.ones(2))
    opt = lightgrad.optim.SGD([p], lr=0.1)
    sd = opt.state_dict()
    del sd["param_groups"][0]["maximize"]
    opt.load_state_dict(sd)
    assert opt.param_groups[0]["maximize"] is False


def _two_group_opt() -> Any:
    ps = [lightgrad.nn.Parameter(lightgrad.ones(2)) for _ in range(3)]
    return lightgrad.optim.Adam([{"params": ps[:1]}, {"params": ps[1:]}])


def test_load_state_dict_errors() -> None:
    opt = _two_group_opt()
    sd = opt.state_dict()
    one = lightgrad.optim.Adam([lightgrad.nn.Parameter(lightgrad.ones(2))])
    with pytest.raises(ValueError, match="different number of parameter groups"):
        one.load_state_dict(sd)
    swapped = copy.deepcopy(sd)
    swapped["param_groups"] = swapped["param_groups"][::-1]
    with pytest.raises(ValueError, match=r"doesn't match the size.*\[2, 1\].*\[1, 2\]"):
        opt.load_state_dict(swapped)
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        opt.load_state_dict({"state": {}})
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        opt.load_state_dict([1, 2])  # type: ignore[arg-type]
    bad = copy.deepcopy(sd)
    bad["state"] = {0: {"step": 1.0, "exp_avg": lightgrad.zeros(3),
                        "exp_avg_sq": lightgrad.zeros(2)}}
    with pytest.raises(ValueError, match=r"'exp_avg' of parameter 0 has shape \(3,\).*\(2,\)"):
        opt.load_state_dict(bad)
    # and torch rejects the group mismatches too
    tp = [torch.nn.Parameter(torch.ones(2)) for _ in range(3)]
    topt = torch.optim.Adam([{"params": tp[:1]}, {"params": tp[1:]}])
    with pytest.raises(ValueError, match="different number of parameter groups"):
        torch.optim.Adam(tp[:1]).load_state_dict(topt.state_dict())


# ----------------------------------------------------------------------------- zero_grad
@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none: bool) -> None:
    p = lightgrad.nn.Parameter(lightgrad.tensor([1.0, 2.0]))
    q = lightgrad.nn.Parameter(lightgrad.tensor([3.0]))  # never gets a gradient
    opt = lightgrad.optim.SGD([p, q], lr=0.1)
    (p * p).sum().backward()
    g = p.grad
    opt.zero_grad(set_to_none=set_to_none)
    assert q.grad is None
    if set_to_none:
        assert p.grad is None
    else:
        assert p.grad is g and not g.requires_grad
        np.testing.assert_array_equal(g.numpy(), [0.0, 0.0])
        (p * p).sum().backward()  # accumulates into the zeroed buffer
        np.testing.assert_array_equal(p.grad.numpy(), [2.0, 4.0])
    # default is set_to_none=True, as in PyTorch
    opt.zero_grad()
    assert p.grad is None


def test_zero_grad_vs_torch_step_semantics() -> None:
    """A zero gradient still moves the weights through momentum; a None gradient does not."""
    res = {}
    for lib in (lightgrad, torch):
        for none in (True, False):
            p = lib.nn.Parameter(lib.tensor([1.0, -2.0]))
            opt = lib.optim.SGD([p], lr=0.1, momentum=0.9)
            (p * p).sum().backward()
            opt.step()
            opt.zero_grad(set_to_none=none)
            opt.step()
            res[lib, none] = p.detach().numpy().copy()
    for none in (True, False):
        np.testing.assert_allclose(res[lightgrad, none], res[torch, none], rtol=1e-6)
    assert not np.allclose(res[lightgrad, True], res[lightgrad, False])


def test_version_counter_guards_saved_values() -> None:
    """A graph that saved a parameter before ``step()`` refuses to backpropagate after it."""
    p = lightgrad.nn.Parameter(lightgrad.tensor([1.0, 2.0]))
    opt = lightgrad.optim.SGD([p], lr=0.1)
    y = (p * p).sum()
    y.backward(retain_graph=True)
    opt.step()
    with pytest.raises(RuntimeError):
        y.backward()


def test_grad_shape_mismatch_is_clear() -> None:
    p = lightgrad.nn.Parameter(lightgrad.ones(3))
    p.grad = lightgrad.ones(2)
    with pytest.raises(RuntimeError, match=r"Adam.step: a parameter of shape \(3,\) has a "
                                           r"gradient of shape \(2,\)"):
        lightgrad.optim.Adam([p]).step()


# ----------------------------------------------------------------------------- errors
def _param(lib: Any) -> Any:
    return lib.nn.Parameter(lib.ones(2))


ERRORS: list[tuple[str, Callable[[Any], Any], type, str]] = [
    ("sgd_lr", lambda lib: lib.optim.SGD([_param(lib)], lr=-0.1), ValueError,
     r"^Invalid learning rate: -0\.1$"),
    ("sgd_momentum", lambda lib: lib.optim.SGD([_param(lib)], momentum=-1.0), ValueError,
     "Invalid momentum value: -1.0"),
    ("sgd_wd", lambda lib: lib.optim.SGD([_param(lib)], weight_decay=-1e-3), ValueError,
     "Invalid weight_decay value: -0.001"),
    ("sgd_nesterov_no_momentum", lambda lib: lib.optim.SGD([_param(lib)], nesterov=True),
     ValueError, "Nesterov momentum requires a momentum and zero dampening"),
    ("sgd_nesterov_dampening", lambda lib: lib.optim.SGD([_param(lib)], momentum=0.9,
                                                         dampening=0.1, nesterov=True),
     ValueError, "Nesterov momentum requires a momentum and zero dampening"),
    ("adam_lr", lambda lib: lib.optim.Adam([_param(lib)], lr=-1.0), ValueError,
     "Invalid learning rate: -1.0"),
    ("adam_eps", lambda lib: lib.optim.Adam([_param(lib)], eps=-1.0), ValueError,
     "Invalid epsilon value: -1.0"),
    ("adam_beta0", lambda lib: lib.optim.Adam([_param(lib)], betas=(1.0, 0.999)), ValueError,
     r"Invalid beta parameter at index 0: 1\.0"),
    ("adam_beta1", lambda lib: lib.optim.Adam([_param(lib)], betas=(0.9, -0.1)), ValueError,
     r"Invalid beta parameter at index 1: -0\.1"),
    ("adam_wd", lambda lib: lib.optim.Adam([_param(lib)], weight_decay=-1.0), ValueError,
     "Invalid weight_decay value"),
    ("adamw_lr", lambda lib: lib.optim.AdamW([_param(lib)], lr=-1.0), ValueError,
     "Invalid learning rate"),
    ("adamax_beta", lambda lib: lib.optim.Adamax([_param(lib)], betas=(0.9, 1.0)), ValueError,
     "Invalid beta parameter at index 1"),
    ("nadam_momentum_decay", lambda lib: lib.optim.NAdam([_param(lib)], momentum_decay=-1.0),
     ValueError, "Invalid momentum_decay value: -1.0"),
    ("rmsprop_alpha", lambda lib: lib.optim.RMSprop([_param(lib)], alpha=-0.5), ValueError,
     "Invalid alpha value: -0.5"),
    ("rmsprop_momentum", lambda lib: lib.optim.RMSprop([_param(lib)], momentum=-0.5),
     ValueError, "Invalid momentum value"),
    ("rmsprop_eps", lambda lib: lib.optim.RMSprop([_param(lib)], eps=-0.5), ValueError,
     "Invalid epsilon value"),
    ("adagrad_lr_decay", lambda lib: lib.optim.Adagrad([_param(lib)], lr_decay=-0.5),
     ValueError, "Invalid lr_decay value: -0.5"),
    ("adagrad_init", lambda lib: lib.optim.Adagrad([_param(lib)],
                                                   initial_accumulator_value=-1.0),
     ValueError, "Invalid initial_accumulator_value value: -1.0"),
    ("adadelta_rho", lambda lib: lib.optim.Adadelta([_param(lib)], rho=1.5), ValueError,
     "Invalid rho value: 1.5"),
    ("empty", lambda lib: lib.optim.SGD([], lr=0.1), ValueError,
     "optimizer got an empty parameter list"),
    ("single_tensor", lambda lib: lib.optim.SGD(_param(lib), lr=0.1), TypeError,
     "should be an iterable of Tensors or dicts"),
    ("a_set", lambda lib: lib.optim.SGD([{"params": {_param(lib)}}], lr=0.1), TypeError,
     "ordered collections"),
    ("not_a_tensor", lambda lib: lib.optim.SGD([_param(lib), 3.0], lr=0.1), TypeError,
     "optimizer can only optimize Tensors"),
    ("non_leaf", lambda lib: lib.optim.SGD([_param(lib) * 2], lr=0.1), ValueError,
     "can't optimize a non-leaf Tensor"),
    ("two_groups", lambda lib: (lambda p: lib.optim.SGD([{"params": [p]}, {"params": [p]}],
                                                        lr=0.1))(_param(lib)),
     ValueError, "some parameters appear in more than one parameter group"),
    ("add_group_not_dict", lambda lib: lib.optim.SGD([_param(lib)]).add_param_group([1]),
     TypeError, "param_group must be a dict"),
    ("add_group_twice", lambda lib: (lambda p: lib.optim.Adam([p]).add_param_group(
        {"params": p}))(_param(lib)), ValueError, "more than one parameter group"),
]


@pytest.mark.parametrize("fn,exc,match", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_errors(fn: Callable[[Any], Any], exc: type, match: str) -> None:
    with pytest.raises(exc):
        fn(torch)
    with pytest.raises(exc, match=match):
        fn(lightgrad)


def test_lightgrad_only_errors() -> None:
    p = _param(lightgrad)
    with pytest.raises(ValueError, match="same parameter twice"):  # torch only warns
        lightgrad.optim.SGD([p, p], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts, but got int"):
        lightgrad.optim.SGD(5, lr=0.1)  # type: ignore[arg-type]
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        lightgrad.optim.Adam([p], differentiable=True)
    with pytest.raises(ValueError, match="no 'params' entry"):
        lightgrad.optim.SGD([p]).add_param_group({"lr": 0.1})


# ----------------------------------------------------------------------------- the API
def test_repr_defaults_and_groups_like_torch() -> None:
    for cls in ("SGD", "Adam", "AdamW", "Adamax", "NAdam", "RMSprop", "Adagrad", "Adadelta"):
        lg = getattr(lightgrad.optim, cls)([_param(lightgrad)])
        th = getattr(torch.optim, cls)([_param(torch)])
        assert repr(lg) == repr(th), cls
        assert lg.defaults == th.defaults, cls
        assert isinstance(lg, lightgrad.optim.Optimizer)


def test_param_group_options_and_named_params() -> None:
    lin = lightgrad.nn.Parameter(lightgrad.ones(2))
    b = lightgrad.nn.Parameter(lightgrad.zeros(1))
    opt = lightgrad.optim.SGD([("w", lin), ("b", b)], lr=0.1, momentum=0.9)
    assert opt.param_groups[0]["param_names"] == ["w", "b"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]
    opt2 = lightgrad.optim.SGD([{"params": lin}, {"params": (b,), "lr": 1.0}], lr=0.1)
    assert opt2.param_groups[0]["params"] == [lin] or opt2.param_groups[0]["params"][0] is lin
    assert opt2.param_groups[1]["lr"] == 1.0 and opt2.param_groups[1]["momentum"] == 0
    with pytest.raises(ValueError, match="with/without names"):
        lightgrad.optim.SGD([{"params": [("w", lin)]}, {"params": [b]}], lr=0.1)


def test_tensor_and_numpy_hyperparameters() -> None:
    """A scheduler may write NumPy floats into ``group['lr']``: no float64 leaks."""
    p = lightgrad.nn.Parameter(lightgrad.ones(3))
    opt = lightgrad.optim.Adam([p], lr=0.1)
    opt.param_groups[0]["lr"] = np.float64(0.05)
    p.grad = lightgrad.ones(3)
    opt.step()
    assert p.dtype == np.float32 and opt.state[p]["exp_avg"].dtype == np.float32


# ----------------------------------------------------------------------------- regularization
def test_l1_l2_penalties_match_torch(rng: np.random.Generator) -> None:
    arrays = [rng.uniform(0.1, 1.0, (3, 4)) * rng.choice([-1, 1], (3, 4)),
              rng.standard_normal(5)]
    lg = [lightgrad.nn.Parameter(lightgrad.from_numpy(a.copy())) for a in arrays]
    th = [torch.nn.Parameter(torch.from_numpy(a.copy())) for a in arrays]
    lg_loss = 0.3 * l1_penalty(lg) + 0.7 * l2_penalty(lg)
    th_loss = 0.3 * sum(p.abs().sum() for p in th) + 0.7 * sum((p * p).sum() for p in th)
    lg_loss.backward()
    th_loss.backward()
    assert lg_loss.item() == pytest.approx(th_loss.item(), rel=1e-12)
    for a, b in zip(lg, th):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12)
    # named_parameters()-style pairs and a single tensor are accepted
    assert l1_penalty([("w", lg[0]), ("b", lg[1])]).item() == pytest.approx(
        np.abs(arrays[0]).sum() + np.abs(arrays[1]).sum())
    assert l2_penalty(lg[1]).item() == pytest.approx((arrays[1] ** 2).sum())
    with pytest.raises(ValueError, match="l1_penalty: got an empty parameter list"):
        l1_penalty([])
    with pytest.raises(TypeError, match="l2_penalty: params must be tensors, but element 1"):
        l2_penalty([lg[0], 3.0])  # type: ignore[list-item]


@pytest.mark.parametrize("cls", ["SGD", "Adam", "RMSprop"])
def test_weight_decay_is_l2_penalty(cls: str, rng: np.random.Generator) -> None:
    """``weight_decay=lam`` gives the trajectory of the loss plus ``lam/2 * l2_penalty``."""
    prob = Problem.draw(rng, np.float64)
    lam = 0.3
    a, _ = _train(lightgrad, prob,
                  lambda lib, ps: getattr(lib.optim, cls)(ps, lr=0.02, weight_decay=lam), 10)
    b = prob.params(lightgrad)
    opt = getattr(lightgrad.optim, cls)(b, lr=0.02)
    for _ in range(10):
        opt.zero_grad()
        (prob.loss(lightgrad, b) + lam / 2 * l2_penalty(b[:-1])).backward()
        opt.step()
    _compare_params(a, b, np.float64, cls)


def test_lasso_drives_weights_to_zero() -> None:
    """The seeds' Lasso: an L1 penalty on a regression with irrelevant features shrinks their
    weights to (near) zero while Ridge keeps them small but non-zero."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 6))
    y = x[:, 0] * 2.0 - x[:, 1]  # features 2..5 are irrelevant
    X, Y = lightgrad.from_numpy(x), lightgrad.from_numpy(y)
    out = {}
    for kind in ("l1", "l2"):
        w = lightgrad.nn.Parameter(lightgrad.from_numpy(rng.standard_normal(6)))
        opt = lightgrad.optim.SGD([w], lr=0.02, weight_decay=0.5 if kind == "l2" else 0.0)
        for _ in range(500):
            opt.zero_grad()
            loss = ((X @ w - Y) ** 2).mean()
            if kind == "l1":
                loss = loss + 0.2 * l1_penalty([w])
            loss.backward()
            opt.step()
        out[kind] = _numpy(w)
    assert np.abs(out["l1"][2:]).max() < 0.02  # oscillates around 0 within lr * lam
    assert out["l1"][0] > 1.5 and out["l1"][1] < -0.5
    assert np.abs(out["l2"][:2]).min() > 0.5


def test_custom_optimizer_subclass() -> None:
    """The torch tutorial pattern: subclass Optimizer with a ``required`` hyperparameter."""
    from lightgrad.optim.optimizer import Optimizer, required

    class MySGD(Optimizer):
        def __init__(self, params: Any, lr: Any = required) -> None:
            super().__init__(params, {"lr": lr})

        @lightgrad.no_grad()
        def step(self, closure: Any = None) -> Any:
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        p.sub_(group["lr"] * p.grad)

    p = lightgrad.nn.Parameter(lightgrad.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="required optimization parameter lr"):
        MySGD([p])
    opt = MySGD([p], lr=0.1)
    (p * p).sum().backward()
    opt.step()
    np.testing.assert_allclose(_numpy(p), [0.8, 1.6], rtol=1e-6)
    assert repr(opt) == "MySGD (\nParameter Group 0\n    lr: 0.1\n)"
    with pytest.raises(NotImplementedError):
        Optimizer([p], {"lr": 0.1}).step()


@pytest.mark.parametrize("case", [c for c in CASES if c.id in ("adam_amsgrad", "nadam_groups")],
                         ids=lambda c: c.id)
def test_state_dict_through_save_load(case: OptCase, rng: np.random.Generator,
                                      tmp_path: Any) -> None:
    """An optimizer checkpoint written with lightgrad.save resumes exactly."""
    prob = Problem.draw(rng, np.float32)
    params, opt = _train(lightgrad, prob, case.make, 4)
    lightgrad.save(opt.state_dict(), tmp_path / "opt.safetensors")
    fresh = [lightgrad.nn.Parameter(lightgrad.from_numpy(_numpy(p).copy(order="K")))
             for p in params]
    opt2 = case.make(lightgrad, fresh)
    opt2.load_state_dict(lightgrad.load(tmp_path / "opt.safetensors"))
    _train(lightgrad, prob, case.make, 3, params, opt)
    _train(lightgrad, prob, case.make, 3, fresh, opt2)
    for a, b in zip(params, fresh):
        np.testing.assert_array_equal(_numpy(a), _numpy(b))
