"""nn.Module, Parameter and the containers against torch.nn: registration order, shared
parameters, state dicts (lightgrad <-> PyTorch), strict-load errors, train/eval, hooks,
``apply``, ``to(dtype)``, ``repr`` text and Sequential indexing.

Also home of :func:`check_module`, the module-parity helper (TESTING.md layer 5) the other
``tests/nn`` files use.
"""

from __future__ import annotations

import copy
from collections import OrderedDict

import numpy as np
import pytest

import lightgrad
from tests.helpers import _compare, tol

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

TORCH_DTYPE = {np.float32: torch.float32, np.float64: torch.float64}


# ----------------------------------------------------------------------------- parity helper
def copy_params_to_torch(lg_mod, th_mod):
    """Load lightgrad's parameters and buffers into the torch twin (strict)."""
    th_mod.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                            for k, v in lg_mod.state_dict().items()})


def check_module(lg_mod, th_mod, inputs, rng, *, dtypes=(np.float32, np.float64),
                 kind="matmul", modes=(True, False), copy_params=True):
    """Module parity: copy lightgrad's parameters into ``th_mod``, run both on the same
    ``inputs`` (NumPy arrays; floating ones require grad) in each dtype and each training mode,
    and compare outputs, input gradients and parameter gradients (random upstream gradient).
    """
    for dt in dtypes:
        lg_mod.to(dt)
        th_mod.to(TORCH_DTYPE[dt])
        if copy_params:
            copy_params_to_torch(lg_mod, th_mod)
        for train in modes:
            lg_mod.train(train)
            th_mod.train(train)
            lg_mod.zero_grad()
            th_mod.zero_grad()
            arrays = [a.astype(dt) if a.dtype.kind == "f" else a for a in inputs]
            lg_in = [lightgrad.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
            th_in = [torch.tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
            lo, to = lg_mod(*lg_in), th_mod(*th_in)
            what = f"{type(lg_mod).__name__} ({np.dtype(dt)}, train={train})"
            _compare(f"{what} output", lo, to, *tol(kind, dt))
            if not to.requires_grad:
                continue
            g = rng.standard_normal(tuple(to.shape)).astype(dt)
            (lo * lightgrad.tensor(g)).sum().backward()
            (to * torch.from_numpy(g)).sum().backward()
            rt = tol("backward", dt)
            for i, (li, ti) in enumerate(zip(lg_in, th_in)):
                if ti.requires_grad:
                    _compare(f"{what} grad of input {i}", li.grad, ti.grad, *rt)
            th_params = dict(th_mod.named_parameters())
            lg_params = dict(lg_mod.named_parameters())
            assert lg_params.keys() == th_params.keys(), f"{what}: parameter names differ"
            for name, p in lg_params.items():
                tp = th_params[name]
                if tp.grad is None:
                    assert p.grad is None or not p.grad.numpy().any(), f"{what}: {name}.grad"
                    continue
                assert p.grad is not None, f"{what}: {name} got no gradient"
                _compare(f"{what} grad of {name}", p.grad, tp.grad, *rt)


# ----------------------------------------------------------------------------- a test network
def make_net(lib):
    """The same network in lightgrad or torch (``lib``): parameters, buffers (persistent and
    not), a shared submodule, nested containers."""
    nn = lib.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(4, 8)
            self.register_buffer("steps", lib.zeros(1))
            self.register_buffer("scratch", lib.zeros(2), persistent=False)
            self.scale = nn.Parameter(lib.ones(1))
            self.block = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
            self.shared = self.fc1
            self.heads = nn.ModuleList([nn.Linear(2, 1), nn.Tanh()])
            self.table = nn.ModuleDict({"b": nn.Linear(2, 2), "a": nn.Sigmoid()})

        def forward(self, x):
            h = self.block(self.shared(x).relu())
            h = self.table["a"](self.table["b"](h))
            return self.heads[1](self.heads[0](h)) * self.scale

    return Net()


@pytest.fixture
def nets():
    lightgrad.manual_seed(0)
    torch.manual_seed(0)
    return make_net(lightgrad), make_net(torch)


def names(pairs):
    return [n for n, _ in pairs]


def test_registration_order_matches_torch(nets):
    lg, th = nets
    assert names(lg.named_parameters()) == names(th.named_parameters())
    assert names(lg.named_parameters(remove_duplicate=False)) == \
        names(th.named_parameters(remove_duplicate=False))
    assert names(lg.named_buffers()) == names(th.named_buffers())
    assert names(lg.named_modules()) == names(th.named_modules())
    assert names(lg.named_children()) == names(th.named_children())
    assert [type(m).__name__ for m in lg.modules()] == [type(m).__name__ for m in th.modules()]
    assert list(lg.state_dict()) == list(th.state_dict())
    assert names(lg.named_parameters(recurse=False)) == ["scale"]
    assert names(lg.named_parameters(prefix="net")) == names(th.named_parameters(prefix="net"))


def test_shared_parameters_are_listed_once(nets):
    lg, _ = nets
    params = list(lg.parameters())
    assert len({id(p) for p in params}) == len(params)
    assert lg.shared.weight is lg.fc1.weight
    assert "shared.weight" not in names(lg.named_parameters())
    assert "shared.weight" in names(lg.named_parameters(remove_duplicate=False))
    assert "shared.weight" in lg.state_dict()  # state dicts keep every name, as in torch


def test_torch_state_dict_loads_and_outputs_match(nets, rng):
    lg, th = nets
    result = lg.load_state_dict(th.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    x = rng.standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(lg(lightgrad.tensor(x)).detach().numpy(),
                               th(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)
    # and the other way round
    lightgrad.manual_seed(1)
    lg2 = make_net(lightgrad)
    th.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                        for k, v in lg2.state_dict().items()})
    np.testing.assert_allclose(lg2(lightgrad.tensor(x)).detach().numpy(),
                               th(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_load_state_dict_copies_in_place(nets):
    lg, th = nets
    w = lg.fc1.weight
    buf = w.data
    v0 = w._version
    lg.load_state_dict(th.state_dict())
    assert lg.fc1.weight is w and w.data is buf, "parameters must be updated in place"
    assert w._version > v0
    np.testing.assert_array_equal(w.detach().numpy(), th.fc1.weight.detach().numpy())


def test_state_dict_detaches_unless_keep_vars(nets):
    lg, _ = nets
    sd = lg.state_dict()
    assert not sd["fc1.weight"].requires_grad
    assert np.shares_memory(sd["fc1.weight"].numpy(), lg.fc1.weight.detach().numpy())
    kv = lg.state_dict(keep_vars=True)
    assert kv["fc1.weight"] is lg.fc1.weight
    assert "scratch" not in sd and "steps" in sd


def test_strict_load_errors_name_the_keys(nets):
    lg, th = nets
    sd = th.state_dict()
    del sd["fc1.bias"]
    sd["extra.weight"] = torch.zeros(1)
    with pytest.raises(RuntimeError) as t_err:
        th.load_state_dict(sd)
    with pytest.raises(RuntimeError, match=r"Missing key\(s\) in state_dict: \"fc1.bias\"") as e:
        lg.load_state_dict(sd)
    assert 'Unexpected key(s) in state_dict: "extra.weight"' in str(e.value)
    assert "Net" in str(e.value) and "Net" in str(t_err.value)
    res = lg.load_state_dict(sd, strict=False)
    t_res = th.load_state_dict(sd, strict=False)
    assert res.missing_keys == t_res.missing_keys
    assert res.unexpected_keys == t_res.unexpected_keys


def test_shape_mismatch_is_an_error_even_when_not_strict(nets):
    lg, th = nets
    sd = th.state_dict()
    sd["fc1.weight"] = torch.zeros(8, 5)
    for strict in (True, False):
        with pytest.raises(RuntimeError, match=r"size mismatch for fc1.weight: copying a param "
                                               r"with shape \(8, 5\).*\(8, 4\)"):
            lg.load_state_dict(sd, strict=strict)


def test_load_state_dict_accepts_numpy_and_rejects_junk(nets):
    lg, _ = nets
    sd = {k: v.numpy() * 0 for k, v in lg.state_dict().items()}
    lg.load_state_dict(sd)
    assert not lg.fc1.weight.detach().numpy().any()
    with pytest.raises(TypeError):
        lg.load_state_dict([1, 2])
    sd["fc1.weight"] = "not a tensor"
    with pytest.raises(TypeError, match="fc1.weight"):
        lg.load_state_dict(sd)


def test_train_eval_propagate(nets):
    lg, th = nets
    assert lg.training and all(m.training for m in lg.modules())
    assert lg.eval() is lg
    assert not any(m.training for m in lg.modules())
    lg.block.train()
    th.eval()
    th.block.train()
    assert [m.training for m in lg.modules()] == [m.training for m in th.modules()]
    with pytest.raises(ValueError):
        lg.train("yes")


def test_requires_grad_and_zero_grad(nets):
    lg, _ = nets
    out = lg(lightgrad.ones(3, 4)).sum()
    out.backward()
    assert all(p.grad is not None for p in lg.parameters())
    lg.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in lg.parameters())
    lg.zero_grad()
    assert all(p.grad is None for p in lg.parameters())
    lg.requires_grad_(False)
    assert not any(p.requires_grad for p in lg.parameters())
    assert not lg(lightgrad.ones(3, 4)).requires_grad


def test_apply_visits_children_first_like_torch(nets):
    lg, th = nets
    seen_lg, seen_th = [], []
    assert lg.apply(lambda m: seen_lg.append(type(m).__name__)) is lg
    th.apply(lambda m: seen_th.append(type(m).__name__))
    assert seen_lg == seen_th


def test_apply_reinitializes_linear_layers(nets):
    lg, _ = nets

    def init(m):
        if isinstance(m, lightgrad.nn.Linear):
            lightgrad.nn.init.zeros_(m.weight)

    lg.apply(init)
    assert all(not m.weight.detach().numpy().any() for m in lg.modules()
               if isinstance(m, lightgrad.nn.Linear))


def test_to_dtype_casts_floating_params_buffers_and_grads(nets):
    lg, _ = nets
    lg.register_buffer("count", lightgrad.tensor([3]))
    lg(lightgrad.ones(2, 4)).sum().backward()
    assert lg.to(lightgrad.float64) is lg
    assert all(p.dtype == np.float64 for p in lg.parameters())
    assert all(p.grad.dtype == np.float64 for p in lg.parameters())
    assert lg.steps.dtype == np.float64 and lg.count.dtype == np.int64
    assert lg(lightgrad.ones(2, 4, dtype=lightgrad.float64)).dtype == np.float64
    lg.float()
    assert lg.fc1.weight.dtype == np.float32
    lg.double()
    assert lg.fc1.weight.dtype == np.float64
    assert lg.to("cpu", dtype=lightgrad.float32).fc1.weight.dtype == np.float32
    with pytest.raises(TypeError):
        lg.to(lightgrad.int64)
    assert lg.shared.weight is lg.fc1.weight  # sharing survives the cast


def test_repr_matches_torch(nets):
    lg, th = nets
    assert repr(lg) == repr(th)
    seq = [lightgrad.nn.Sequential(), torch.nn.Sequential()]
    assert repr(seq[0]) == repr(seq[1])


def test_forward_hooks_like_torch(nets, rng):
    lg, th = nets
    lg.load_state_dict(th.state_dict())
    calls = {"lg": [], "th": []}

    def install(net, key):
        net.fc1.register_forward_pre_hook(lambda m, args: calls[key].append("pre1"))
        net.fc1.register_forward_pre_hook(lambda m, args: (args[0] * 2,))
        net.fc1.register_forward_pre_hook(lambda m, args: calls[key].append("pre0"),
                                          prepend=True)
        h = net.fc1.register_forward_hook(lambda m, args, out: out + 1)
        net.fc1.register_forward_hook(lambda m, args, out: calls[key].append("post"))
        net.block.register_forward_hook(lambda m, args, kwargs, out: out * 3,
                                        with_kwargs=True)
        return h

    h_lg, h_th = install(lg, "lg"), install(th, "th")
    x = rng.standard_normal((3, 4)).astype(np.float32)
    out_lg, out_th = lg(lightgrad.tensor(x)), th(torch.from_numpy(x))
    np.testing.assert_allclose(out_lg.detach().numpy(), out_th.detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    assert calls["lg"] == calls["th"] == ["pre0", "pre1", "post"]
    h_lg.remove()
    h_th.remove()
    out_lg, out_th = lg(lightgrad.tensor(x)), th(torch.from_numpy(x))
    np.testing.assert_allclose(out_lg.detach().numpy(), out_th.detach().numpy(), rtol=1e-5,
                               atol=1e-6)


def test_pre_hook_with_kwargs_and_handle_context():
    m = lightgrad.nn.Identity()
    with m.register_forward_pre_hook(lambda mod, args, kwargs: ((args[0] + 1,), kwargs),
                                     with_kwargs=True):
        assert m(lightgrad.tensor(1.0)).item() == 2.0
    assert m(lightgrad.tensor(1.0)).item() == 1.0


def test_attribute_assignment_rules():
    nn = lightgrad.nn
    m = nn.Linear(2, 3)
    with pytest.raises(TypeError):
        m.weight = lightgrad.ones(3, 2)  # a plain tensor is not a Parameter
    m.bias = None
    assert m.bias is None and "bias" not in dict(m.named_parameters())
    assert m(lightgrad.ones(1, 2)).shape == (1, 3)
    m.bias = nn.Parameter(lightgrad.zeros(3))
    assert list(dict(m.named_parameters())) == ["weight", "bias"]
    seq = nn.Sequential(nn.ReLU())
    with pytest.raises(TypeError):
        seq._modules  # noqa: B018 (exists)
        seq.register_parameter("w", lightgrad.ones(2))
    with pytest.raises(KeyError):
        m.register_buffer("a.b", lightgrad.ones(1))
    with pytest.raises(KeyError):
        m.register_buffer("weight", lightgrad.ones(1))  # already a parameter
    with pytest.raises(AttributeError, match="nothing"):
        m.nothing  # noqa: B018
    del m.bias
    assert "bias" not in dict(m.named_parameters())


def test_assigning_before_init_raises():
    class Bad(lightgrad.nn.Module):
        def __init__(self):
            self.w = lightgrad.nn.Parameter(lightgrad.ones(1))

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Bad()


def test_deepcopy_gives_independent_parameters(nets):
    lg, _ = nets
    twin = copy.deepcopy(lg)
    assert twin.shared is twin.fc1  # sharing kept inside the copy
    with lightgrad.no_grad():
        twin.fc1.weight.data[...] = 0
    assert lg.fc1.weight.detach().numpy().any()
    assert names(twin.named_parameters()) == names(lg.named_parameters())


def test_get_submodule_and_parameter(nets):
    lg, _ = nets
    assert lg.get_submodule("block.2") is lg.block[2]
    assert lg.get_parameter("block.0.bias") is lg.block[0].bias
    assert lg.get_buffer("steps") is lg.steps
    with pytest.raises(AttributeError):
        lg.get_submodule("block.9")


def test_missing_forward_raises():
    with pytest.raises(NotImplementedError, match="forward"):
        lightgrad.nn.Module()(lightgrad.ones(1))


# ----------------------------------------------------------------------------- containers
def test_sequential_indexing_slicing_append():
    nn = lightgrad.nn
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    s = nn.Sequential(a, b, c)
    assert s[0] is a and s[-1] is c and s[-3] is a
    sl = s[1:]
    assert isinstance(sl, nn.Sequential) and len(sl) == 2 and sl[0] is b and sl[1] is c
    assert list(s[::2]) == [a, c]
    assert list(s) == [a, b, c]
    with pytest.raises(IndexError):
        s[3]
    with pytest.raises(IndexError):
        s[-4]
    d = nn.Tanh()
    assert s.append(d) is s and s[3] is d and len(s) == 4
    out = s(lightgrad.ones(5, 2))
    assert out.shape == (5, 1)
    np.testing.assert_allclose(out.detach().numpy(),
                               d(c(b(a(lightgrad.ones(5, 2))))).detach().numpy())


def test_sequential_edit_ops_match_torch():
    def build(lib):
        nn = lib.nn
        return nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))

    lg, th = build(lightgrad), build(torch)
    for s, lib in ((lg, lightgrad), (th, torch)):
        del s[0]
        s.insert(0, lib.nn.Tanh())
        s.extend([lib.nn.Sigmoid()])
        s.pop(1)
    assert list(lg._modules) == list(th._modules)
    assert repr(lg) == repr(th)


def test_sequential_from_ordered_dict():
    nn = lightgrad.nn
    s = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    t = torch.nn.Sequential(OrderedDict([("fc", torch.nn.Linear(2, 2)),
                                         ("act", torch.nn.ReLU())]))
    assert names(s.named_parameters()) == names(t.named_parameters()) == ["fc.weight", "fc.bias"]
    assert repr(s) == repr(t)
    assert s.fc is s[0]


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError):
        lightgrad.nn.Sequential(lightgrad.nn.ReLU(), "relu")


def test_module_list_and_dict():
    nn = lightgrad.nn
    ml = nn.ModuleList([nn.Linear(1, 1), nn.ReLU()])
    ml.append(nn.Linear(1, 2))
    ml += [nn.Tanh()]
    assert len(ml) == 4 and isinstance(ml[-1], nn.Tanh)
    assert names(ml.named_parameters()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    md = nn.ModuleDict({"b": nn.Linear(1, 1), "a": nn.ReLU()})
    assert list(md.keys()) == ["b", "a"] and "a" in md
    assert names(md.named_parameters()) == ["b.weight", "b.bias"]
    with pytest.raises(NotImplementedError):
        ml(lightgrad.ones(1))


def test_parameter_list_and_dict_register_parameters():
    nn = lightgrad.nn
    pl = nn.ParameterList([nn.Parameter(lightgrad.ones(2)), lightgrad.zeros(3)])
    assert all(isinstance(p, nn.Parameter) for p in pl)
    tpl = torch.nn.ParameterList([torch.nn.Parameter(torch.ones(2)), torch.zeros(3)])
    assert names(pl.named_parameters()) == names(tpl.named_parameters())
    pd = nn.ParameterDict({"w": nn.Parameter(lightgrad.ones(2))})
    pd["b"] = lightgrad.zeros(1)
    assert names(pd.named_parameters()) == ["w", "b"] and pd["b"].requires_grad


def test_parameter_basics():
    p = lightgrad.nn.Parameter(lightgrad.ones(2, 3))
    assert p.is_leaf and p.requires_grad and p.grad_fn is None
    assert repr(p).startswith("Parameter containing:\n")
    q = lightgrad.nn.Parameter(lightgrad.ones(2), requires_grad=False)
    assert not q.requires_grad
    assert lightgrad.nn.Parameter().shape == (0,)


def test_module_list_repr_collapses_repeats_like_torch():
    lg = lightgrad.nn.ModuleList([lightgrad.nn.Linear(2, 2) for _ in range(3)])
    th = torch.nn.ModuleList([torch.nn.Linear(2, 2) for _ in range(3)])
    assert repr(lg) == repr(th)


def test_parameter_list_repr_and_strict_error_order_like_torch():
    lg = lightgrad.nn.ParameterList([lightgrad.nn.Parameter(lightgrad.ones(2, 3))])
    th = torch.nn.ParameterList([torch.nn.Parameter(torch.ones(2, 3))])
    assert repr(lg) == repr(th).replace("torch.", "lightgrad.")
    m = lightgrad.nn.Linear(2, 2)
    with pytest.raises(RuntimeError) as info:
        m.load_state_dict({"weight": lightgrad.ones(2, 2), "extra": lightgrad.ones(1)})
    msg = str(info.value)
    assert msg.index("Missing key(s)") < msg.index("Unexpected key(s)")
