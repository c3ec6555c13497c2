"""Keras attention layers: Keras's equations (NumPy transcriptions with Keras's weight layouts
and einsum equations), PyTorch parity of MultiHeadAttention with mapped weights, masks, the
functional API, configs and training."""

import json

import numpy as np
import pytest

import lightgrad
from lightgrad import keras
from lightgrad.keras.saving.serialization import deserialize_layer, serialize_layer

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch
L = keras.layers


def npy(t):
    return t.detach().numpy()


def lg64(a, rg=False):
    return lightgrad.tensor(np.asarray(a, np.float64), requires_grad=rg)


def softmax_keep(scores, keep):
    """Softmax over the last axis of the entries ``keep`` allows."""
    s = scores if keep is None else np.where(keep, scores, -np.inf)
    e = np.exp(s - s.max(-1, keepdims=True))
    if keep is not None:
        e = np.where(keep, e, 0.0)
    return e / e.sum(-1, keepdims=True)


def causal(t, s):
    return np.arange(t)[:, None] >= np.arange(s)[None, :]


# ----------------------------------------------------------------------------- Attention
@pytest.mark.parametrize("use_scale", [False, True])
@pytest.mark.parametrize("score_mode", ["dot", "concat"])
@pytest.mark.parametrize("with_key,masks,use_causal", [(False, False, False), (True, True, False),
                                                       (False, True, True)])
def test_attention_follows_keras_equations(use_scale, score_mode, with_key, masks, use_causal,
                                           rng):
    n, tq, tv, d = 2, 4, 4, 3
    q, v = rng.standard_normal((n, tq, d)), rng.standard_normal((n, tv, d))
    k = rng.standard_normal((n, tv, d)) if with_key else v
    layer = L.Attention(use_scale=use_scale, score_mode=score_mode, dtype="float64")
    inputs = [lg64(q, True), lg64(v, True)] + ([lg64(k, True)] if with_key else [])
    layer(inputs)
    scale, csw = 1.7, 0.6
    if use_scale:
        layer.scale.data[...] = scale
    if score_mode == "concat":
        layer.concat_score_weight.data[...] = csw
    q_mask = np.array([[True, True, True, False], [True] * 4])
    v_mask = np.array([[True, True, False, False], [True, False, True, True]])
    mask = [lightgrad.tensor(q_mask), lightgrad.tensor(v_mask)] if masks else None
    out, w = layer(inputs, mask=mask, return_attention_scores=True,
                   use_causal_mask=use_causal)
    if score_mode == "dot":
        scores = q @ k.transpose(0, 2, 1) * (scale if use_scale else 1.0)
    else:
        s = q[:, :, None] + k[:, None]
        scores = csw * np.tanh((scale if use_scale else 1.0) * s).sum(-1)
    keep = v_mask[:, None, :] if masks else None
    if use_causal:
        keep = causal(tq, tv)[None] if keep is None else keep & causal(tq, tv)[None]
    want_w = softmax_keep(scores, keep)
    want = want_w @ v
    if masks:
        want = want * q_mask[:, :, None]
    np.testing.assert_allclose(npy(w), want_w, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(npy(out), want, rtol=1e-10, atol=1e-12)
    out.sum().backward()
    assert inputs[0].grad is not None and inputs[1].grad is not None
    if use_scale:
        assert layer.scale.grad is not None


def test_additive_attention_follows_keras_equations(rng):
    q, v = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4))
    k = rng.standard_normal((2, 5, 4))
    layer = L.AdditiveAttention(dtype="float64")
    out, w = layer([lg64(q), lg64(v), lg64(k)], return_attention_scores=True)
    (scale,) = layer.get_weights()
    assert scale.shape == (4,) and np.abs(scale).max() <= np.sqrt(6 / 8)
    scores = (scale * np.tanh(q[:, :, None] + k[:, None])).sum(-1)
    want_w = softmax_keep(scores, None)
    np.testing.assert_allclose(npy(w), want_w, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(npy(out), want_w @ v, rtol=1e-10, atol=1e-12)
    plain = L.AdditiveAttention(use_scale=False, dtype="float64")
    got = plain([lg64(q), lg64(v)])
    np.testing.assert_allclose(npy(got), softmax_keep(np.tanh(q[:, :, None] + v[:, None])
                                                      .sum(-1), None) @ v, rtol=1e-10)
    assert plain.get_weights() == []


def test_attention_dropout_and_errors(rng):
    q = rng.standard_normal((2, 3, 4)).astype(np.float32)
    layer = L.Attention(dropout=0.5)
    a = npy(layer([q, q], training=False))
    np.testing.assert_array_equal(a, npy(layer([q, q], training=False)))
    assert not np.allclose(a, npy(layer([q, q], training=True)))
    with pytest.raises(ValueError, match="list of inputs"):
        layer(q)
    with pytest.raises(ValueError, match="length 2 or 3"):
        layer([q])
    with pytest.raises(ValueError, match="score_mode"):
        L.Attention(score_mode="general")


# ----------------------------------------------------------------------------- MultiHeadAttention
def keras_mha(query, value, key, weights, heads, key_dim, mask=None):
    """Keras's MultiHeadAttention with its EinsumDense equations on 3-D inputs."""
    qk, qb, kk, kb, vk, vb, ok, ob = weights
    q = np.einsum("abc,cde->abde", query, qk) + qb  # (B, T, H, kd)
    k = np.einsum("abc,cde->abde", key, kk) + kb
    v = np.einsum("abc,cde->abde", value, vk) + vb
    q = q / np.sqrt(key_dim)
    scores = np.einsum("aecd,abcd->acbe", k, q)  # (B, H, T, S)
    w = softmax_keep(scores, None if mask is None else mask[:, None])
    o = np.einsum("acbe,aecd->abcd", w, v)  # (B, T, H, vd)
    out = np.einsum("abcd,cd" + "efg"[:ok.ndim - 2] + "->ab" + "efg"[:ok.ndim - 2], o, ok) + ob
    return out, w


@pytest.mark.parametrize("value_dim,output_shape,with_key", [(None, None, False), (5, 6, True),
                                                             (2, (2, 3), False)])
def test_multi_head_attention_follows_keras_einsums(value_dim, output_shape, with_key, rng):
    b, t, s, dq, dv, dk, h, kd = 2, 4, 5, 6, 3, 7, 3, 2
    query, value = rng.standard_normal((b, t, dq)), rng.standard_normal((b, s, dv))
    key = rng.standard_normal((b, s, dk)) if with_key else value
    layer = L.MultiHeadAttention(h, kd, value_dim=value_dim, output_shape=output_shape,
                                 dtype="float64")
    args = (lg64(query), lg64(value)) + ((lg64(key),) if with_key else ())
    layer(*args)
    shapes = [w.shape for w in layer.get_weights()]
    vd = value_dim or kd
    out_dims = (dq,) if output_shape is None else (
        (output_shape,) if isinstance(output_shape, int) else output_shape)
    assert shapes == [(dq, h, kd), (h, kd), (key.shape[-1], h, kd), (h, kd), (dv, h, vd),
                      (h, vd), (h, vd) + out_dims, out_dims]
    weights = [rng.standard_normal(sh) * 0.5 for sh in shapes]
    layer.set_weights(weights)
    mask = rng.random((b, t, s)) < 0.7
    mask[:, :, 0] = True
    out, w = layer(*args, attention_mask=lightgrad.tensor(mask), return_attention_scores=True)
    want, want_w = keras_mha(query, value, key, weights, h, kd, mask)
    np.testing.assert_allclose(npy(w), want_w, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(npy(out), want, rtol=1e-10, atol=1e-12)
    # the fused path (no scores asked) gives the same output
    fused = layer(*args, attention_mask=lightgrad.tensor(mask))
    np.testing.assert_allclose(npy(fused), want, rtol=1e-10, atol=1e-12)


def test_multi_head_attention_matches_torch_with_mapped_weights(rng):
    b, t, s, e, h = 2, 5, 4, 8, 2
    kd = e // h
    layer = L.MultiHeadAttention(h, kd, dtype="float64")
    q_np, kv_np = rng.standard_normal((b, t, e)), rng.standard_normal((b, s, e))
    q, kv = lg64(q_np, True), lg64(kv_np, True)
    layer(q, kv)
    weights = [rng.standard_normal(w.shape) * 0.4 for w in layer.get_weights()]
    layer.set_weights(weights)
    qk, qb, kk, kb, vk, vb, ok, ob = weights
    mha = torch.nn.MultiheadAttention(e, h, batch_first=True).double()
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.tensor(np.concatenate(
            [w.reshape(e, e).T for w in (qk, kk, vk)])))
        mha.in_proj_bias.copy_(torch.tensor(np.concatenate([qb.ravel(), kb.ravel(),
                                                            vb.ravel()])))
        mha.out_proj.weight.copy_(torch.tensor(ok.reshape(e, e).T))
        mha.out_proj.bias.copy_(torch.tensor(ob))
    value_mask = np.array([[True, True, True, False], [True, False, True, True]])
    out, w = layer(q, kv, value_mask=lightgrad.tensor(value_mask), use_causal_mask=False,
                   return_attention_scores=True)
    qt = torch.tensor(q_np, requires_grad=True)
    kvt = torch.tensor(kv_np, requires_grad=True)
    ot, wt = mha(qt, kvt, kvt, key_padding_mask=torch.tensor(~value_mask),
                 average_attn_weights=False)
    np.testing.assert_allclose(npy(out), npy(ot), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(npy(w), npy(wt), rtol=1e-10, atol=1e-12)
    up = rng.standard_normal((b, t, e))
    out.backward(lg64(up))
    ot.backward(torch.tensor(up))
    np.testing.assert_allclose(npy(q.grad), npy(qt.grad), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(npy(kv.grad), npy(kvt.grad), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(npy(layer.output_kernel.grad).reshape(e, e),
                               npy(mha.out_proj.weight.grad).T, rtol=1e-9, atol=1e-11)


def test_multi_head_attention_masks_combine_like_keras(rng):
    x = rng.standard_normal((2, 4, 6)).astype(np.float32)
    layer = L.MultiHeadAttention(2, 3)
    query_mask = np.array([[True] * 4, [True, True, True, False]])
    value_mask = np.array([[True, True, False, False], [True] * 4])
    _, w = layer(x, x, query_mask=query_mask, value_mask=value_mask, use_causal_mask=True,
                 return_attention_scores=True)
    keep = query_mask[:, :, None] & value_mask[:, None, :] & causal(4, 4)[None]
    w = npy(w)
    assert np.all(w[np.broadcast_to(~keep[:, None], w.shape)] == 0)
    rows = keep.any(-1)  # rows with something to attend to sum to 1
    np.testing.assert_allclose(w.sum(-1)[np.broadcast_to(rows[:, None], w.shape[:3])], 1.0,
                               rtol=1e-5)
    # a fully masked query row has zero weights (lightgrad's convention, see the module)
    assert np.all(w[1, :, 3] == 0)
    with pytest.raises(ValueError, match="does not broadcast"):
        layer(x, x, attention_mask=np.ones((2, 3, 4), bool))
    with pytest.raises(ValueError, match="except the last one"):
        layer(x, x, x[:, :3])
    with pytest.raises(NotImplementedError, match="attention_axes"):
        L.MultiHeadAttention(2, 3, attention_axes=(1, 2))
    with pytest.raises(TypeError, match="needs `value`"):
        layer(x)


def test_multi_head_attention_in_a_functional_model_trains_and_reloads(rng):
    n, t, d = 96, 6, 4
    x = rng.standard_normal((n, t, d)).astype(np.float32)
    y = (x[:, :, 0].max(1) > 1.0).astype(np.int64)  # needs to look at every step
    inputs = keras.Input(shape=(t, d))
    h = L.Dense(8)(inputs)
    att = L.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")(h, h)
    pooled = L.GlobalAveragePooling1D()(L.Add()([h, att]))
    outputs = L.Dense(2, activation="softmax")(pooled)
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    hist = model.fit(x, y, epochs=10, batch_size=32, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    # query/key/value kernels (8, 2, 4) and biases (2, 4); output kernel (2, 4, 8), bias (8,)
    assert model.get_layer("mha").count_params() == 3 * (64 + 8) + 64 + 8
    again = deserialize_layer(json.loads(json.dumps(serialize_layer(model))))
    again.set_weights(model.get_weights())
    np.testing.assert_allclose(again.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)



@pytest.mark.parametrize("scores", [False, True])
def test_multi_head_attention_takes_its_inputs_masks_in_a_model(scores, rng):
    """In a functional model, the Embedding(mask_zero=True) masks of query and value reach
    MultiHeadAttention as query_mask / value_mask (Keras 3 fills ``<arg>_mask`` from tensor
    argument ``<arg>``), and its output carries the query's mask on to the pooling: so the
    model's outputs do not depend on how much padding follows a sequence, and they equal the
    layers called by hand with the masks passed explicitly."""
    tokens = keras.Input(shape=(None,), dtype="int64")
    query_tokens = keras.Input(shape=(None,), dtype="int64")
    emb = L.Embedding(20, 8, mask_zero=True)
    v = emb(tokens)
    q = emb(query_tokens)
    mha = L.MultiHeadAttention(num_heads=2, key_dim=4)
    att = mha(q, v, return_attention_scores=True)[0] if scores else mha(q, v)
    pooled = L.GlobalAveragePooling1D()(att)
    model = keras.Model([query_tokens, tokens], pooled)
    q_ids = np.array([[3, 7, 1, 0], [5, 2, 0, 0]])
    v_ids = np.array([[4, 9, 0, 0, 0], [6, 1, 8, 2, 0]])
    out = model.predict([q_ids, v_ids], verbose=0)
    # more padding on both inputs: the same outputs
    pad = model.predict([np.pad(q_ids, ((0, 0), (0, 3))), np.pad(v_ids, ((0, 0), (0, 4)))],
                        verbose=0)
    np.testing.assert_allclose(pad, out, rtol=1e-5, atol=1e-6)
    # by hand, masks passed explicitly
    qm, vm = q_ids != 0, v_ids != 0
    ref = mha(emb(q_ids), emb(v_ids), query_mask=qm, value_mask=vm)
    ref = L.GlobalAveragePooling1D()(ref, mask=lightgrad.tensor(qm))
    np.testing.assert_allclose(out, npy(ref), rtol=1e-5, atol=1e-6)
    # without the masks the padding would count (the test can fail)
    bare = L.GlobalAveragePooling1D()(mha(emb(q_ids), emb(v_ids)))
    assert not np.allclose(npy(bare), out, atol=1e-3)


CONFIG_LAYERS = [
    lambda: L.Attention(use_scale=True, score_mode="concat", dropout=0.1),
    lambda: L.AdditiveAttention(use_scale=False, dropout=0.2),
    lambda: L.MultiHeadAttention(4, 8, value_dim=6, dropout=0.1, use_bias=False,
                                 output_shape=(3, 2), kernel_initializer="he_uniform",
                                 kernel_regularizer=keras.regularizers.L2(1e-4)),
]


@pytest.mark.parametrize("make_layer", CONFIG_LAYERS, ids=["attention", "additive", "mha"])
def test_config_round_trips(make_layer):
    layer = make_layer()
    cfg = layer.get_config()
    spec = serialize_layer(layer)
    again = deserialize_layer(json.loads(json.dumps(spec)))
    assert again.get_config() == cfg


def test_multi_head_attention_regularizers_and_weight_round_trip(rng):
    layer = L.MultiHeadAttention(2, 3, kernel_regularizer=keras.regularizers.L2(0.1),
                                 activity_regularizer=keras.regularizers.L1(0.01))
    x = rng.standard_normal((2, 4, 5)).astype(np.float32)
    out = layer(x, x)
    ws = layer.get_weights()
    kernels = [ws[i] for i in (0, 2, 4, 6)]
    want = sorted([0.1 * float((k ** 2).sum()) for k in kernels] +
                  [0.01 * float(np.abs(npy(out)).sum()) / len(x)])  # Keras 3: / batch size
    np.testing.assert_allclose(sorted(float(v.item()) for v in layer.losses), want, rtol=1e-5)
    other = L.MultiHeadAttention(2, 3)
    other(x, x)
    other.set_weights(ws)
    np.testing.assert_allclose(npy(other(x, x)), npy(out), rtol=1e-6)
