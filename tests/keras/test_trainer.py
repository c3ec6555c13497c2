"""The Keras training loop: data sources, fit's arguments, weighting, several outputs, the
train_step hook, the per-batch methods and the progress output."""

import os
import re

import numpy as np
import pytest

import lightgrad
from lightgrad import keras
from lightgrad.keras import utils as kutils
from lightgrad.utils.data import DataLoader, TensorDataset


def _data(n=64, seed=0):
    r = np.random.default_rng(seed)
    x = r.standard_normal((n, 4)).astype(np.float32)
    y = (x[:, 0] - x[:, 2] > 0).astype(np.float32)
    return x, y


def _model(seed=0, optimizer=None, metrics=("accuracy",), **compile_kw):
    lightgrad.manual_seed(seed)
    model = keras.Sequential([keras.Input(shape=(4,)),
                              keras.layers.Dense(6, activation="tanh"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer or keras.optimizers.SGD(learning_rate=0.1, momentum=0.5),
                  "binary_crossentropy", metrics=list(metrics), **compile_kw)
    return model


def _same_weights(a, b):
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)


class Count(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batches = []

    def on_train_batch_end(self, batch, logs=None):
        self.batches.append(batch)


# ---------------------------------------------------------------------------- data sources
def test_fit_on_dataloader_tensors_and_generator_equals_fit_on_arrays():
    x, y = _data()
    ref = _model()
    ref.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)

    loader = DataLoader(TensorDataset(lightgrad.tensor(x), lightgrad.tensor(y)), batch_size=16)
    m = _model()
    hist = m.fit(loader, epochs=2, verbose=0)
    _same_weights(m, ref)
    assert len(hist.history["loss"]) == 2

    m = _model()
    m.fit(lightgrad.tensor(x), lightgrad.tensor(y), batch_size=16, epochs=2, shuffle=False,
          verbose=0)
    _same_weights(m, ref)

    def batches():
        for _ in range(2):
            for i in range(0, 64, 16):
                yield x[i:i + 16], y[i:i + 16]

    m = _model()
    m.fit(batches(), steps_per_epoch=4, epochs=2, verbose=0)
    _same_weights(m, ref)


def test_fit_on_a_shuffled_dataloader_with_validation_loader():
    x, y = _data(80)
    ds = TensorDataset(lightgrad.tensor(x), lightgrad.tensor(y))
    train = DataLoader(ds, batch_size=16, shuffle=True)
    val = DataLoader(ds, batch_size=32)
    m = _model()
    count = Count()
    hist = m.fit(train, epochs=3, verbose=0, validation_data=val, callbacks=[count])
    assert set(hist.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert count.batches == [0, 1, 2, 3, 4] * 3
    assert hist.history["val_loss"][-1] == pytest.approx(m.evaluate(x, y, verbose=0)[0])
    assert m.evaluate(val, verbose=0) == pytest.approx(m.evaluate(x, y, verbose=0))
    assert m.predict(val, verbose=0).shape == (80, 1)  # (x, y) batches: x is taken


def test_generators_endless_and_exhausted():
    x, y = _data()
    drawn = []

    def endless():
        r = np.random.default_rng(1)
        while True:
            i = r.integers(0, 64, 8)
            drawn.append(1)
            yield x[i], y[i]

    m = _model()
    hist = m.fit(endless(), steps_per_epoch=5, epochs=3, verbose=0)
    assert hist.epoch == [0, 1, 2] and len(drawn) == 15

    def once():
        for i in range(0, 64, 16):
            yield x[i:i + 16], y[i:i + 16]

    with pytest.warns(UserWarning, match="ran out of data"):
        hist = _model().fit(once(), epochs=3, verbose=0)
    assert hist.epoch == [0]
    with pytest.warns(UserWarning, match="ran out of data"):
        hist = _model().fit(once(), epochs=3, steps_per_epoch=3, verbose=0)
    assert hist.epoch == [0, 1]  # the second epoch got one batch of three, then stopped
    preds = _model().predict((x[i:i + 10] for i in range(0, 30, 10)), verbose=0)
    assert preds.shape == (30, 1)


def test_fit_on_a_pydataset():
    x, y = _data()

    class Batches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__()
            self.ends = 0

        def __len__(self):
            return 4

        def __getitem__(self, i):
            return x[16 * i:16 * (i + 1)], y[16 * i:16 * (i + 1)]

        def on_epoch_end(self):
            self.ends += 1

    data = Batches()
    m = _model()
    m.fit(data, epochs=2, verbose=0)
    ref = _model()
    ref.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    _same_weights(m, ref)
    assert data.ends == 2


def test_steps_per_epoch_continues_across_epochs_on_arrays():
    x, y = _data()
    count = Count()
    m = _model()
    m.fit(x, y, batch_size=16, steps_per_epoch=3, epochs=2, shuffle=False, verbose=0,
          callbacks=[count])
    assert count.batches == [0, 1, 2, 0, 1, 2]
    ref = _model()  # batches 0,1,2 | 3,0,1 of the (unshuffled) data
    for i in (0, 1, 2, 3, 0, 1):
        ref.train_on_batch(x[16 * i:16 * (i + 1)], y[16 * i:16 * (i + 1)])
    _same_weights(m, ref)


# ---------------------------------------------------------------------------- fit arguments
def test_shuffle_uses_lightgrad_seed():
    x, y = _data()
    a, b, c = _model(), _model(), _model()
    lightgrad.manual_seed(5)
    a.fit(x, y, batch_size=16, epochs=2, verbose=0)
    lightgrad.manual_seed(5)
    b.fit(x, y, batch_size=16, epochs=2, verbose=0)
    c.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    _same_weights(a, b)
    assert not np.array_equal(a.get_weights()[0], c.get_weights()[0])


def test_validation_split_freq_and_initial_epoch():
    x, y = _data()
    m = _model(optimizer=keras.optimizers.SGD(learning_rate=0.0))
    hist = m.fit(x, y, epochs=1, validation_split=0.25, verbose=0)
    loss, acc = m.evaluate(x[48:], y[48:], verbose=0)  # the last quarter, unshuffled
    assert hist.history["val_loss"][0] == pytest.approx(loss)
    assert hist.history["val_accuracy"][0] == pytest.approx(acc)
    m = _model()
    hist = m.fit(x, y, epochs=4, validation_data=(x, y), validation_freq=2, verbose=0)
    assert len(hist.history["loss"]) == 4 and len(hist.history["val_loss"]) == 2
    hist = m.fit(x, y, epochs=4, validation_data=(x, y), validation_freq=[1, 4], verbose=0)
    assert len(hist.history["val_loss"]) == 2
    hist = m.fit(x, y, epochs=4, initial_epoch=2, verbose=0)
    assert hist.epoch == [2, 3]
    hist = m.fit(x, y, epochs=1, validation_data=(x, y, np.ones(64)), verbose=0)
    assert "val_loss" in hist.history


def test_sample_weight_and_class_weight_equal_the_hand_weighted_loss():
    x, y = _data(32)
    w = np.where(y == 1, 3.0, 0.5).astype(np.float32)
    m = _model(metrics=())
    weights = m.get_weights()
    # the loss: mean over the batch of weight * per-sample binary cross-entropy
    p = np.clip(1 / (1 + np.exp(-(np.tanh(x @ weights[0] + weights[1]) @ weights[2]
                                    + weights[3]))), 1e-7, 1 - 1e-7)[:, 0]
    want = np.mean(w * -(y * np.log(p) + (1 - y) * np.log(1 - p)))
    assert m.test_on_batch(x, y, sample_weight=w) == pytest.approx(want, rel=1e-5)
    by_cw = _model(metrics=())
    loss_cw = by_cw.train_on_batch(x, y, class_weight={0: 0.5, 1: 3.0})
    assert loss_cw == pytest.approx(want, rel=1e-5)

    # fit: class_weight == the equivalent sample weights == a hand-written weighted loop
    a, b = _model(metrics=()), _model(metrics=())
    a.fit(x, y, batch_size=8, epochs=2, shuffle=False, class_weight={0: 0.5, 1: 3.0},
          verbose=0)
    b.fit(x, y, batch_size=8, epochs=2, shuffle=False, sample_weight=w, verbose=0)
    _same_weights(a, b)
    hand = _model(metrics=())
    l1, l2 = hand.layers[0].linear, hand.layers[1].linear
    opt = lightgrad.optim.SGD([*hand.parameters()], lr=0.1, momentum=0.5)
    for _ in range(2):
        for i in range(0, 32, 8):
            xb, yb = lightgrad.tensor(x[i:i + 8]), lightgrad.tensor(y[i:i + 8])
            pb = lightgrad.sigmoid(l2(lightgrad.tanh(l1(xb)))).clamp(1e-7, 1 - 1e-7)
            per = -(yb.reshape(-1, 1) * pb.log() + (1 - yb.reshape(-1, 1)) * (1 - pb).log())
            loss = (per.mean(dim=-1) * lightgrad.tensor(w[i:i + 8])).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    for got, want_w in zip(a.get_weights(), hand.get_weights()):
        np.testing.assert_allclose(got, want_w, rtol=1e-6, atol=1e-7)


def test_class_weight_with_one_hot_targets_and_weighted_metrics():
    r = np.random.default_rng(1)
    x = r.standard_normal((30, 4)).astype(np.float32)
    labels = r.integers(0, 3, 30)
    onehot = keras.utils.to_categorical(labels, 3)
    lightgrad.manual_seed(0)
    m = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
    m.compile("sgd", "categorical_crossentropy", metrics=["accuracy"],
              weighted_metrics=["accuracy"])
    cw = {0: 1.0, 1: 2.0, 2: 5.0}
    a = m.train_on_batch(x, onehot, class_weight=cw, return_dict=True)
    m2 = keras.models.clone_model(m) if hasattr(keras.models, "clone_model") else None
    del m2
    sw = np.array([cw[int(c)] for c in labels], np.float32)
    lightgrad.manual_seed(0)
    m3 = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
    m3.compile("sgd", "categorical_crossentropy", metrics=["accuracy"],
               weighted_metrics=["accuracy"])
    b = m3.train_on_batch(x, onehot, sample_weight=sw, return_dict=True)
    assert a == b
    logs = m.evaluate(x, onehot, sample_weight=sw, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "accuracy", "weighted_accuracy"}
    pred = m.predict(x, verbose=0).argmax(1)
    assert logs["accuracy"] == pytest.approx(np.mean(pred == labels))
    assert logs["weighted_accuracy"] == pytest.approx(np.sum((pred == labels) * sw) / sw.sum())


# ---------------------------------------------------------------------------- several outputs
def _two_output_model(**compile_kw):
    lightgrad.manual_seed(0)
    inp = keras.Input(shape=(4,))
    h = keras.layers.Dense(8, activation="relu")(inp)
    reg = keras.layers.Dense(1, name="reg")(h)
    cls = keras.layers.Dense(3, activation="softmax", name="cls")(h)
    model = keras.Model(inp, [reg, cls])
    model.compile("adam", **compile_kw)
    return model


def test_multi_output_losses_with_loss_weights():
    r = np.random.default_rng(2)
    x = r.standard_normal((40, 4)).astype(np.float32)
    yr = x[:, :1] * 2
    yc = r.integers(0, 3, 40)
    m = _two_output_model(loss={"reg": "mse", "cls": "sparse_categorical_crossentropy"},
                          loss_weights={"reg": 0.5, "cls": 2.0}, metrics={"cls": ["accuracy"]})
    logs = m.test_on_batch(x, {"reg": yr, "cls": yc}, return_dict=True)
    assert set(logs) == {"loss", "cls_accuracy", "reg_loss", "cls_loss"}
    out_reg, out_cls = m.predict(x, verbose=0)
    want_reg = np.mean((out_reg - yr) ** 2)
    want_cls = np.mean(-np.log(np.clip(out_cls[np.arange(40), yc], 1e-7, 1)))
    assert logs["reg_loss"] == pytest.approx(want_reg, rel=1e-5)
    assert logs["cls_loss"] == pytest.approx(want_cls, rel=1e-5)
    assert logs["loss"] == pytest.approx(0.5 * want_reg + 2.0 * want_cls, rel=1e-5)
    assert logs["cls_accuracy"] == pytest.approx(np.mean(out_cls.argmax(1) == yc))
    hist = m.fit(x, [yr, yc], epochs=2, batch_size=10, validation_split=0.25, verbose=0)
    assert set(hist.history) == {"loss", "cls_accuracy", "reg_loss", "cls_loss", "val_loss",
                                 "val_cls_accuracy", "val_reg_loss", "val_cls_loss"}
    # the list forms, and a loss shared by the outputs
    m2 = _two_output_model(loss=["mse", "sparse_categorical_crossentropy"],
                           loss_weights=[0.5, 2.0])
    assert m2.test_on_batch(x, [yr, yc]) == pytest.approx(
        [logs["loss"], logs["reg_loss"], logs["cls_loss"]], rel=1e-6)
    m3 = _two_output_model(loss="mse", metrics=["mae"])
    logs3 = m3.test_on_batch(x, [yr, keras.utils.to_categorical(yc, 3)], return_dict=True)
    assert set(logs3) == {"loss", "reg_mae", "cls_mae", "reg_loss", "cls_loss"}
    # an output without a loss is not trained on
    m4 = _two_output_model(loss={"cls": "sparse_categorical_crossentropy"})
    assert m4.test_on_batch(x, {"cls": yc, "reg": yr}) == pytest.approx(logs["cls_loss"],
                                                                        rel=1e-6)
    with pytest.raises(ValueError, match="does not correspond to any model output"):
        _two_output_model(loss={"nope": "mse"}).test_on_batch(x, [yr, yc])
    with pytest.raises(ValueError, match="as many entries"):
        _two_output_model(loss=["mse"] * 3).test_on_batch(x, [yr, yc])


# ---------------------------------------------------------------------------- train_step hook
def test_train_step_override_is_used_by_fit():
    x, y = _data()

    class Custom(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(1)
            self.loss_tracker = keras.metrics.Mean(name="loss")
            self.mae = keras.metrics.MeanAbsoluteError(name="mae")
            self.steps = 0

        def call(self, inputs):  # no `training` argument
            return self.dense(inputs)

        def train_step(self, data):
            inputs, target = data
            pred = self(inputs)
            loss = ((pred - target.reshape(-1, 1)) ** 2).mean()
            self.zero_grad()
            loss.backward()
            self.optimizer.step()
            self.loss_tracker.update_state(loss)
            self.mae.update_state(target, pred)
            self.steps += 1
            return {"loss": self.loss_tracker.result(), "mae": self.mae.result()}

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae]

    model = Custom()
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05))
    hist = model.fit(x, y, batch_size=16, epochs=3, verbose=0)
    assert model.steps == 12 and set(hist.history) == {"loss", "mae"}
    assert hist.history["loss"][2] < hist.history["loss"][0]


def test_train_step_with_compute_loss_and_compute_metrics():
    x, y = _data()

    class Custom(keras.Sequential):
        calls = 0

        def train_step(self, data):
            inputs, target = data
            pred = self(inputs, training=True)
            loss = self.compute_loss(y=target, y_pred=pred)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            type(self).calls += 1
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(target, pred)
            return {m.name: m.result() for m in self.metrics}

    lightgrad.manual_seed(0)
    model = Custom([keras.Input(shape=(4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    hist = model.fit(x, y, batch_size=32, epochs=2, verbose=0, validation_data=(x, y))
    assert Custom.calls == 4
    assert set(hist.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert model.metrics_names == ["loss", "accuracy"]


def test_subclassed_model_without_training_argument_and_regularization():
    x, y = _data()

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = keras.layers.Dense(5, activation="relu",
                                             kernel_regularizer=keras.regularizers.L2(0.01))
            self.out = keras.layers.Dense(1, activation="sigmoid")

        def call(self, inputs):
            return self.out(self.hidden(inputs))

    net = Net()
    net.compile("adam", "binary_crossentropy")
    net.fit(x, y, epochs=1, verbose=0)  # built on the first batch
    penalty = float(sum(t.item() for t in net.losses))
    data_loss = keras.losses.BinaryCrossentropy()(y[:16], lightgrad.tensor(
        net.predict(x[:16], verbose=0))).item()
    assert net.test_on_batch(x[:16], y[:16]) == pytest.approx(data_loss + penalty, rel=1e-5)


# ---------------------------------------------------------------------------- per batch
def test_train_on_batch_equals_one_fit_step_and_batch_methods():
    x, y = _data(16)
    a, b = _model(), _model()
    loss, acc = a.train_on_batch(x, y)
    hist = b.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    _same_weights(a, b)
    assert loss == hist.history["loss"][0] and acc == hist.history["accuracy"][0]
    out = a.predict_on_batch(x)
    np.testing.assert_array_equal(out, a.predict(x, verbose=0))
    logs = a.test_on_batch(x, y, return_dict=True)
    assert logs == a.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    assert a.evaluate(x, y, verbose=0) == [logs["loss"], logs["accuracy"]]
    assert a.metrics_names == ["loss", "accuracy"]
    plain = _model(metrics=())
    assert isinstance(plain.evaluate(x, y, verbose=0), float)


def test_predict_several_outputs_and_dict_inputs():
    m = _two_output_model(loss=["mse", "sparse_categorical_crossentropy"])
    x = np.ones((5, 4), np.float32)
    reg, cls = m.predict(x, batch_size=2, verbose=0)
    assert reg.shape == (5, 1) and cls.shape == (5, 3)
    np.testing.assert_allclose(cls.sum(1), 1, rtol=1e-6)


# ---------------------------------------------------------------------------- errors
def test_errors_are_clear():
    x, y = _data(16)
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(4,))])
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(x, y, verbose=0)
    with pytest.raises(RuntimeError, match="compile"):
        model.evaluate(x, y, verbose=0)
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="cardinality"):
        model.fit(x, y[:10], verbose=0)
    loader = DataLoader(TensorDataset(lightgrad.tensor(x), lightgrad.tensor(y)), batch_size=4)
    with pytest.raises(ValueError, match="`y` must not be given"):
        model.fit(loader, y, verbose=0)
    with pytest.raises(ValueError, match="DataLoader"):
        model.fit(loader.dataset, verbose=0)
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(iter([(x, y)]), validation_split=0.2, verbose=0)
    with pytest.raises(ValueError, match="class_weight"):
        model.fit(x, y, class_weight={0: 1.0}, sample_weight=np.ones(16), verbose=0)
    with pytest.raises(ValueError, match="verbose"):
        model.fit(x, y, verbose=3)
    with pytest.raises(ValueError, match="not recognized"):
        model.evaluate(x, y, verbose=0, bogus=1)
    with pytest.raises(ValueError, match="batch_size"):
        model.fit(x, y, batch_size=0, verbose=0)
    with pytest.raises(ValueError, match="Unknown metric"):
        model.compile("sgd", "mse", metrics=["accuracyy"])
    with pytest.raises(ValueError, match="loss_weights"):
        model.compile("sgd", "mse", loss_weights="heavy")
    nothing = keras.Sequential([keras.layers.Dense(1, input_shape=(4,))])
    nothing.compile("sgd")
    with pytest.raises(ValueError, match="No loss to compute"):
        nothing.fit(x, y, verbose=0)


# ---------------------------------------------------------------------------- progress output
def test_verbose_modes_output(capsys, monkeypatch):
    x, y = _data(48)
    m = _model()
    m.fit(x, y, batch_size=16, epochs=2, verbose=0, validation_data=(x, y))
    assert capsys.readouterr().out == ""

    m.fit(x, y, batch_size=16, epochs=2, verbose=2, validation_data=(x, y))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    line = re.compile(r"^3/3 - \d+s - \d+(us|ms|s)/step - loss: \d\.\d{4} - accuracy: "
                      r"\d\.\d{4} - val_loss: \d\.\d{4} - val_accuracy: \d\.\d{4}$")
    assert line.match(lines[1]) and line.match(lines[3])

    # "auto" on a non-terminal (a log file, a pipe) is one line per epoch
    m.fit(x, y, batch_size=16, epochs=1, verbose="auto")
    assert re.match(r"^3/3 - .* - loss: ", capsys.readouterr().out)

    # 1 without tqdm: a plain text bar; a file gets only the final line of each epoch
    monkeypatch.setattr(kutils, "_tqdm_class", lambda: None)
    m.fit(x, y, batch_size=16, epochs=1, verbose=1)
    out = capsys.readouterr().out
    assert "\r" not in out and re.match(r"^3/3 \[=+\] - \d+s .*step - loss: ", out)
    # ... and a terminal gets a live bar redrawn in place, with an ETA
    monkeypatch.setattr(kutils, "_is_tty", lambda: True)
    m.fit(x, y, batch_size=16, epochs=1, verbose=1)
    out = capsys.readouterr().out
    assert out.count("\r") >= 2 and "ETA: " in out and out.endswith("\n")  # redraws throttled
    assert "1/3 [" in out and "3/3 [====================]" in out

    monkeypatch.setattr(kutils, "_is_tty", lambda: False)
    m.evaluate(x, y, verbose=2)
    assert re.match(r"^2/2 - .* - loss: \d\.\d{4} - accuracy: ", capsys.readouterr().out)
    m.predict(x, verbose=2)
    assert re.match(r"^2/2 - \d+s - \d+(us|ms|s)/step$", capsys.readouterr().out.strip())
    # validation inside fit is silent; a generator without length shows the count it reached
    m.fit((b for b in [(x[:16], y[:16])] * 2), epochs=1, verbose=2)
    assert re.match(r"^2/2 - ", capsys.readouterr().out)


def test_progress_bar_with_tqdm(capsys, monkeypatch):
    pytest.importorskip("tqdm")
    monkeypatch.setattr(kutils, "_is_tty", lambda: True)  # tqdm draws on terminals only
    monkeypatch.setattr(kutils.shutil, "get_terminal_size", lambda *a: os.terminal_size((80, 24)))
    x, y = _data(48)
    m = _model()
    m.fit(x, y, batch_size=16, epochs=2, verbose=1, validation_data=(x, y))
    out = capsys.readouterr().out
    assert out.startswith("Epoch 1/2\n") and "\r3/3 |" in out and "step/s" in out
    # the final line keeps every value: what does not fit 80 columns goes on the next line
    lines = out.replace("\r", "\n").splitlines()
    assert any(line.startswith("loss: ") and "val_loss: " in line for line in lines)
