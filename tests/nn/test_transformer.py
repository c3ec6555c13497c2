"""Transformer modules against PyTorch: encoder/decoder layers (post- and pre-norm, relu, gelu,
callables), the stacks, the full ``nn.Transformer`` with masks -- outputs, input gradients and
every parameter gradient in float32 and float64 (TESTING.md's 'sequence' row); state dicts,
clones, init; ``PositionalEncoding`` values; bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

import lightgrad
from lightgrad import nn
from lightgrad.nn.modules.transformer import _detect_is_causal_mask
from tests.helpers import tol
from tests.nn.test_attention import both, module_parity, padding_mask

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

D, NH, FF = 8, 2, 12


def causal(n):
    return np.triu(np.full((n, n), -np.inf), 1)


# ----------------------------------------------------------------------------- encoder layer
ACTIVATIONS = {
    "relu": lambda lib: "relu",
    "gelu": lambda lib: "gelu",
    "callable_silu": lambda lib: lib.nn.functional.silu,
    "module_gelu": lambda lib: lib.nn.GELU(),
    "functional_gelu": lambda lib: lib.nn.functional.gelu,
}


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("act", ["relu", "gelu", "callable_silu"])
def test_encoder_layer(rng, norm_first, act):
    def make(lib):
        return lib.nn.TransformerEncoderLayer(D, NH, FF, dropout=0.0,
                                              activation=ACTIVATIONS[act](lib),
                                              norm_first=norm_first)
    module_parity(*both(make), [rng.standard_normal((5, 3, D))], rng)


def test_encoder_layer_batch_first_masks_eval_with_dropout(rng):
    def make(lib):
        return lib.nn.TransformerEncoderLayer(D, NH, FF, batch_first=True)  # dropout 0.1

    arrays = [rng.standard_normal((3, 5, D)), causal(5), padding_mask(rng, 3, 5)]
    module_parity(*both(make), arrays, rng, modes=(False,), nondiff=(1,),
                  call=lambda m, lib, x, am, kpm: m(x, src_mask=am, src_key_padding_mask=kpm))


def test_encoder_layer_causal_hint_unbatched_no_bias(rng):
    def make(lib):
        return lib.nn.TransformerEncoderLayer(D, NH, FF, dropout=0.0, bias=False,
                                              activation=ACTIVATIONS["module_gelu"](lib))
    module_parity(*both(make), [rng.standard_normal((4, D)), causal(4)], rng, nondiff=(1,),
                  call=lambda m, lib, x, am: m(x, src_mask=am, is_causal=True))


def test_encoder_layer_activation_flags():
    assert nn.TransformerEncoderLayer(D, NH, FF).activation_relu_or_gelu == 1
    assert nn.TransformerEncoderLayer(D, NH, FF, activation="gelu").activation_relu_or_gelu == 2
    assert nn.TransformerEncoderLayer(D, NH, FF, activation=nn.GELU()).activation_relu_or_gelu \
        == 2
    assert nn.TransformerEncoderLayer(D, NH, FF,
                                      activation=lightgrad.tanh).activation_relu_or_gelu == 0


# ----------------------------------------------------------------------------- decoder layer
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("act", ["relu", "gelu", "functional_gelu"])
def test_decoder_layer(rng, norm_first, act):
    def make(lib):
        return lib.nn.TransformerDecoderLayer(D, NH, FF, dropout=0.0,
                                              activation=ACTIVATIONS[act](lib),
                                              norm_first=norm_first)
    arrays = [rng.standard_normal((4, 2, D)), rng.standard_normal((6, 2, D)), causal(4)]
    module_parity(*both(make), arrays, rng, nondiff=(2,),
                  call=lambda m, lib, t, mem, tm: m(t, mem, tgt_mask=tm))


def test_decoder_layer_batch_first_all_masks(rng):
    def make(lib):
        return lib.nn.TransformerDecoderLayer(D, NH, FF, batch_first=True)

    mm = rng.random((4, 6)) > 0.7
    mm[:, 0] = False
    arrays = [rng.standard_normal((2, 4, D)), rng.standard_normal((2, 6, D)), causal(4), mm,
              padding_mask(rng, 2, 4), padding_mask(rng, 2, 6)]

    def call(m, lib, t, mem, tm, mmask, tkpm, mkpm):
        return m(t, mem, tgt_mask=tm, memory_mask=mmask, tgt_key_padding_mask=tkpm,
                 memory_key_padding_mask=mkpm, tgt_is_causal=False)
    module_parity(*both(make), arrays, rng, modes=(False,), nondiff=(2,), call=call)


# ----------------------------------------------------------------------------- stacks
@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_stack(rng, norm_first):
    def make(lib):
        layer = lib.nn.TransformerEncoderLayer(D, NH, FF, dropout=0.0, batch_first=True,
                                               norm_first=norm_first)
        extra = {} if lib is lightgrad else {"enable_nested_tensor": False}
        return lib.nn.TransformerEncoder(layer, 2, norm=lib.nn.LayerNorm(D), **extra)
    arrays = [rng.standard_normal((2, 5, D)), causal(5), padding_mask(rng, 2, 5)]
    module_parity(*both(make), arrays, rng, nondiff=(1,),
                  call=lambda m, lib, x, am, kpm: m(x, mask=am, src_key_padding_mask=kpm))


def test_encoder_stack_detects_causal_mask_without_norm(rng):
    def make(lib):
        layer = lib.nn.TransformerEncoderLayer(D, NH, FF, dropout=0.0)
        extra = {} if lib is lightgrad else {"enable_nested_tensor": False}
        return lib.nn.TransformerEncoder(layer, 3, **extra)
    module_parity(*both(make), [rng.standard_normal((5, 2, D)), causal(5)], rng, nondiff=(1,),
                  call=lambda m, lib, x, am: m(x, mask=am))


def test_decoder_stack(rng):
    def make(lib):
        layer = lib.nn.TransformerDecoderLayer(D, NH, FF, dropout=0.0)
        return lib.nn.TransformerDecoder(layer, 2, norm=lib.nn.LayerNorm(D))
    arrays = [rng.standard_normal((4, 2, D)), rng.standard_normal((5, 2, D)), causal(4),
              padding_mask(rng, 2, 5)]
    module_parity(*both(make), arrays, rng, nondiff=(2,),
                  call=lambda m, lib, t, mem, tm, mk: m(t, mem, tgt_mask=tm,
                                                        memory_key_padding_mask=mk))


def test_clones_are_deep_copies():
    layer = nn.TransformerEncoderLayer(D, NH, FF)
    enc = nn.TransformerEncoder(layer, 3)
    w = [enc.layers[i].linear1.weight for i in range(3)]
    assert w[0] is not w[1] and w[0] is not layer.linear1.weight
    np.testing.assert_array_equal(w[0].detach().numpy(), w[2].detach().numpy())  # as torch
    with lightgrad.no_grad():
        w[0].add_(1.0)
    assert not np.allclose(w[0].detach().numpy(), w[1].detach().numpy())
    assert len(list(enc.parameters())) == 3 * len(list(layer.parameters()))


def test_detect_is_causal_mask():
    m = lightgrad.nn.Transformer.generate_square_subsequent_mask(4)
    assert _detect_is_causal_mask(m, None, 4)
    assert not _detect_is_causal_mask(m, None, 5)
    assert not _detect_is_causal_mask(m, False, 4)
    assert _detect_is_causal_mask(None, True)
    assert not _detect_is_causal_mask(lightgrad.zeros(4, 4), None, 4)
    bool_causal = lightgrad.tensor(np.triu(np.ones((3, 3), bool), 1))
    assert _detect_is_causal_mask(bool_causal, None, 3)


# ----------------------------------------------------------------------------- Transformer
def _transformer(**kw):
    def make(lib):
        return lib.nn.Transformer(D, NH, num_encoder_layers=2, num_decoder_layers=2,
                                  dim_feedforward=FF, **kw)
    return make


def test_transformer_batch_first_masks(rng):
    arrays = [rng.standard_normal((2, 5, D)), rng.standard_normal((2, 4, D)), causal(4),
              padding_mask(rng, 2, 5), padding_mask(rng, 2, 4)]

    def call(m, lib, src, tgt, tm, skpm, tkpm):
        return m(src, tgt, tgt_mask=tm, src_key_padding_mask=skpm, tgt_key_padding_mask=tkpm,
                 memory_key_padding_mask=skpm)
    module_parity(*both(_transformer(batch_first=True)), arrays, rng, modes=(False,),
                  nondiff=(2,), call=call)


def test_transformer_norm_first_gelu_train_no_dropout(rng):
    arrays = [rng.standard_normal((5, 2, D)), rng.standard_normal((3, 2, D)), causal(5),
              causal(3), rng.standard_normal((3, 5))]

    def call(m, lib, src, tgt, sm, tm, mm):
        return m(src, tgt, src_mask=sm, tgt_mask=tm, memory_mask=mm)
    module_parity(*both(_transformer(norm_first=True, activation="gelu", dropout=0.0)), arrays,
                  rng, nondiff=(2, 3, 4), call=call)


def test_transformer_unbatched(rng):
    module_parity(*both(_transformer(dropout=0.0)),
                  [rng.standard_normal((4, D)), rng.standard_normal((3, D))], rng,
                  dtypes=(np.float64,))


def test_transformer_loads_torch_state_dict_and_init(rng):
    torch.manual_seed(1)
    th = torch.nn.Transformer(D, NH, 1, 1, FF, dropout=0.0).double()
    lg = nn.Transformer(D, NH, 1, 1, FF, dropout=0.0).double()
    assert list(lg.state_dict()) == list(th.state_dict())
    lg.load_state_dict(th.state_dict())
    src, tgt = rng.standard_normal((5, 2, D)), rng.standard_normal((3, 2, D))
    a = lg(lightgrad.tensor(src), lightgrad.tensor(tgt)).detach().numpy()
    b = th(torch.tensor(src), torch.tensor(tgt)).detach().numpy()
    np.testing.assert_allclose(a, b, *tol("sequence", np.float64))
    # _reset_parameters: every matrix xavier-uniform (linear1: fans FF x D)
    w = nn.Transformer(D, NH, 1, 1, FF).encoder.layers[0].linear1.weight.detach().numpy()
    assert np.abs(w).max() <= math.sqrt(6 / (D + FF))
    ln = nn.Transformer(D, NH, 1, 1, FF).decoder.norm
    np.testing.assert_array_equal(ln.weight.detach().numpy(), 1.0)


def test_transformer_repr_matches_torch():
    lg_mod, th_mod = both(_transformer())
    assert repr(lg_mod) == repr(th_mod)


def test_transformer_custom_encoder_decoder(rng):
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, NH, FF), 1)
    dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(D, NH, FF), 1)
    model = nn.Transformer(D, NH, custom_encoder=enc, custom_decoder=dec)
    assert model.encoder is enc and model.decoder is dec
    assert model(lightgrad.randn(5, 2, D), lightgrad.randn(3, 2, D)).shape == (3, 2, D)


def test_transformer_train_dropout_is_seeded(rng):
    model = nn.Transformer(D, NH, 1, 1, FF, dropout=0.3)
    src, tgt = lightgrad.randn(5, 2, D), lightgrad.randn(3, 2, D)
    lightgrad.manual_seed(2)
    a = model(src, tgt).detach().numpy()
    lightgrad.manual_seed(2)
    np.testing.assert_array_equal(a, model(src, tgt).detach().numpy())
    model.eval()
    e1, e2 = model(src, tgt).detach().numpy(), model(src, tgt).detach().numpy()
    np.testing.assert_array_equal(e1, e2)
    assert not np.allclose(a, e1)


def test_layers_gradcheck(rng):
    enc = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0).double()
    dec = nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0, norm_first=True).double()
    x = lightgrad.tensor(rng.standard_normal((3, 1, 4)), requires_grad=True)
    mem = lightgrad.tensor(rng.standard_normal((2, 1, 4)), requires_grad=True)
    tm = nn.Transformer.generate_square_subsequent_mask(3, dtype=lightgrad.float64)
    assert lightgrad.autograd.gradcheck(lambda a: enc(a, src_mask=tm), [x])
    assert lightgrad.autograd.gradcheck(lambda a, m: dec(a, m, tgt_mask=tm), [x, mem])


# ----------------------------------------------------------------------------- errors
ERRORS = [
    ("bad_activation", lambda lib: lib.nn.TransformerEncoderLayer(D, NH, activation="tanh"),
     r"relu/gelu, not tanh"),
    ("heads_not_dividing", lambda lib: lib.nn.TransformerEncoderLayer(D, 3), r"divisible"),
    ("layer_d_model", lambda lib: lib.nn.TransformerEncoderLayer(D, NH, FF)(
        lib.zeros(5, 2, D + 1)), r"\(5, 2, 9\)"),
    ("decoder_memory_d_model", lambda lib: lib.nn.TransformerDecoderLayer(D, NH, FF)(
        lib.zeros(5, 2, D), lib.zeros(4, 2, D - 1)), r"memory.*\(4, 2, 7\)"),
    ("transformer_batch", lambda lib: lib.nn.Transformer(D, NH, 1, 1, FF)(
        lib.zeros(5, 2, D), lib.zeros(4, 3, D)), r"batch number.*\(5, 2, 8\).*\(4, 3, 8\)"),
    ("transformer_d_model", lambda lib: lib.nn.Transformer(D, NH, 1, 1, FF)(
        lib.zeros(5, 2, D), lib.zeros(4, 2, D + 2)), r"d_model = 8.*\(4, 2, 10\)"),
    ("src_mask_shape", lambda lib: lib.nn.TransformerEncoderLayer(D, NH, FF)(
        lib.zeros(5, 2, D), src_mask=lib.zeros(4, 4)), r"attn_mask is \(4, 4\).*\(5, 5\)"),
]


@pytest.mark.parametrize("name, fn, match", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(name, fn, match):
    with pytest.raises(Exception):
        fn(torch)
    with pytest.raises((RuntimeError, ValueError, TypeError), match=match):
        fn(lightgrad)


# ----------------------------------------------------------------------------- positional enc.
def _tutorial_pe(d_model, max_len):
    """PyTorch tutorial's table, written with torch ops (even ``d_model``)."""
    position = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float64)
                         * (-math.log(10000.0) / d_model))
    pe = torch.zeros(max_len, 1, d_model, dtype=torch.float64)
    pe[:, 0, 0::2] = torch.sin(position * div_term)
    pe[:, 0, 1::2] = torch.cos(position * div_term)
    return pe.numpy()


def test_positional_encoding_values():
    pe = nn.PositionalEncoding(6, dropout=0.0, max_len=50, dtype=lightgrad.float64)
    np.testing.assert_allclose(pe.pe.numpy(), _tutorial_pe(6, 50), 1e-12, 1e-12)
    assert pe.pe.shape == (50, 1, 6) and "pe" in pe.state_dict()
    # the formula, entry by entry, for an odd size
    odd = nn.PositionalEncoding(5, dropout=0.0, max_len=7, batch_first=True).pe.numpy()[0]
    assert odd.dtype == np.float32
    for pos in range(7):
        for j in range(5):
            angle = pos / 10000 ** ((j - j % 2) / 5)
            expect = math.sin(angle) if j % 2 == 0 else math.cos(angle)
            assert abs(odd[pos, j] - expect) < 1e-6


@pytest.mark.parametrize("batch_first", [False, True])
def test_positional_encoding_forward(rng, batch_first):
    pe = nn.PositionalEncoding(4, dropout=0.5, max_len=10, batch_first=batch_first,
                               dtype=lightgrad.float64)
    shape = (3, 6, 4) if batch_first else (6, 3, 4)
    x = lightgrad.tensor(rng.standard_normal(shape), requires_grad=True)
    pe.eval()
    out = pe(x)
    table = _tutorial_pe(4, 10)[:6]  # (6, 1, 4)
    expect = x.detach().numpy() + (table.transpose(1, 0, 2) if batch_first else table)
    np.testing.assert_allclose(out.detach().numpy(), expect, 1e-12, 1e-12)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), 1.0)
    pe.train()
    lightgrad.manual_seed(4)
    a = pe(x).detach().numpy()
    lightgrad.manual_seed(4)
    np.testing.assert_array_equal(a, pe(x).detach().numpy())
    assert (a == 0).any()


def test_positional_encoding_errors():
    pe = nn.PositionalEncoding(4, max_len=5)
    with pytest.raises(RuntimeError, match=r"S <= 5, got shape \(6, 2, 4\)"):
        pe(lightgrad.zeros(6, 2, 4))
    with pytest.raises(RuntimeError, match=r"E = 4.*\(3, 2, 5\)"):
        pe(lightgrad.zeros(3, 2, 5))
    with pytest.raises(ValueError, match=r"d_model"):
        nn.PositionalEncoding(0)
    assert repr(pe) == ("PositionalEncoding(\n  d_model=4, max_len=5\n"
                        "  (dropout): Dropout(p=0.1, inplace=False)\n)")
