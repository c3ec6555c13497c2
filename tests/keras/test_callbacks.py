"""Keras callbacks: the order of the hooks, and each callback's documented behaviour."""

import csv
import math
import os
import random

import numpy as np
import pytest

import lightgrad
from lightgrad import keras
from lightgrad.keras import callbacks as C


def _data(n=64, seed=0):
    r = np.random.default_rng(seed)
    x = r.standard_normal((n, 4)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(np.float32)
    return x, y


def _model(seed=0, lr=0.05, dropout=0.0, metrics=("accuracy",)):
    lightgrad.manual_seed(seed)
    layers = [keras.Input(shape=(4,)), keras.layers.Dense(8, activation="tanh")]
    if dropout:
        layers.append(keras.layers.Dropout(dropout))
    layers.append(keras.layers.Dense(1, activation="sigmoid"))
    model = keras.Sequential(layers)
    model.compile(keras.optimizers.Adam(learning_rate=lr), "binary_crossentropy",
                  metrics=list(metrics))
    return model


class Recorder(C.Callback):
    """Records every hook call (and the logs' keys at epoch end)."""

    def __init__(self):
        super().__init__()
        self.calls = []
        self.epoch_logs = []

    def on_train_begin(self, logs=None):
        self.calls.append("train_begin")

    def on_train_end(self, logs=None):
        self.calls.append("train_end")

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(f"epoch_begin {epoch}")

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(f"epoch_end {epoch}")
        self.epoch_logs.append(dict(logs))

    def on_train_batch_begin(self, batch, logs=None):
        self.calls.append(f"train_batch_begin {batch}")

    def on_train_batch_end(self, batch, logs=None):
        self.calls.append(f"train_batch_end {batch}")

    def on_test_begin(self, logs=None):
        self.calls.append("test_begin")

    def on_test_end(self, logs=None):
        self.calls.append("test_end")

    def on_test_batch_begin(self, batch, logs=None):
        self.calls.append(f"test_batch_begin {batch}")

    def on_test_batch_end(self, batch, logs=None):
        self.calls.append(f"test_batch_end {batch}")

    def on_predict_begin(self, logs=None):
        self.calls.append("predict_begin")

    def on_predict_end(self, logs=None):
        self.calls.append("predict_end")

    def on_predict_batch_begin(self, batch, logs=None):
        self.calls.append(f"predict_batch_begin {batch}")

    def on_predict_batch_end(self, batch, logs=None):
        self.calls.append(f"predict_batch_end {batch} {sorted(logs)}")


class Scripted(C.Callback):
    """Writes a scripted value into the epoch logs (for callbacks placed after it)."""

    def __init__(self, name, values):
        super().__init__()
        self.name, self.values = name, values

    def on_epoch_end(self, epoch, logs=None):
        logs[self.name] = self.values[epoch]


class WeightLog(C.Callback):
    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


# ---------------------------------------------------------------------------- order
def test_fit_hooks_fire_in_keras_order():
    x, y = _data(40)
    model = _model()
    rec = Recorder()
    hist = model.fit(x[:32], y[:32], batch_size=16, epochs=2, verbose=0, callbacks=[rec],
                     validation_data=(x[32:], y[32:]), validation_batch_size=4,
                     validation_steps=2)
    epoch = ["train_batch_begin 0", "train_batch_end 0", "train_batch_begin 1",
             "train_batch_end 1", "test_begin", "test_batch_begin 0", "test_batch_end 0",
             "test_batch_begin 1", "test_batch_end 1", "test_end"]
    want = (["train_begin", "epoch_begin 0"] + epoch + ["epoch_end 0", "epoch_begin 1"]
            + epoch + ["epoch_end 1", "train_end"])
    assert rec.calls == want
    assert [sorted(logs) for logs in rec.epoch_logs] == \
        [["accuracy", "loss", "val_accuracy", "val_loss"]] * 2
    assert rec.model is model and model.history is hist
    assert rec.params == {"verbose": 0, "epochs": 2, "steps": 2}


def test_evaluate_and_predict_hooks():
    x, y = _data(20)
    model = _model()
    rec = Recorder()
    model.evaluate(x, y, batch_size=8, verbose=0, callbacks=[rec])
    assert rec.calls == ["test_begin", "test_batch_begin 0", "test_batch_end 0",
                         "test_batch_begin 1", "test_batch_end 1", "test_batch_begin 2",
                         "test_batch_end 2", "test_end"]
    rec.calls.clear()
    model.predict(x, batch_size=10, verbose=0, callbacks=[rec])
    assert rec.calls == ["predict_begin", "predict_batch_begin 0",
                         "predict_batch_end 0 ['outputs']", "predict_batch_begin 1",
                         "predict_batch_end 1 ['outputs']", "predict_end"]


def test_on_batch_aliases_and_callback_list():
    seen = []

    class Old(C.Callback):  # Keras 2 style: on_batch_end
        def on_batch_end(self, batch, logs=None):
            seen.append((batch, round(logs["loss"], 6)))

    x, y = _data(32)
    model = _model()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[Old()])
    assert [b for b, _ in seen] == [0, 1] and all(v > 0 for _, v in seen)
    cbl = C.CallbackList([Old()], add_history=True, add_progbar=True, model=model, verbose=0,
                         epochs=1, steps=1)
    assert [type(c).__name__ for c in cbl.callbacks] == ["Old", "History", "ProgbarLogger"]
    with pytest.raises(TypeError, match="Callback"):
        model.fit(x, y, verbose=0, callbacks=[lambda: None])


def test_lambda_callback():
    x, y = _data(32)
    events = []
    cb = C.LambdaCallback(on_train_begin=lambda logs: events.append("begin"),
                          on_epoch_end=lambda epoch, logs: events.append(("end", epoch,
                                                                          "loss" in logs)),
                          on_train_batch_end=lambda batch, logs: events.append(batch),
                          on_test_end=lambda logs: events.append("test"))
    _model().fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[cb],
                 validation_data=(x, y))
    assert events == ["begin", 0, 1, "test", ("end", 0, True), 0, 1, "test", ("end", 1, True)]
    with pytest.raises(TypeError, match="unknown hook"):
        C.LambdaCallback(on_everything=print)


# ---------------------------------------------------------------------------- EarlyStopping
def _fit_scripted(values, cb, epochs=None, model=None, extra=()):
    x, y = _data(32)
    model = model or _model()
    weights = WeightLog()
    hist = model.fit(x, y, batch_size=16, epochs=epochs or len(values), verbose=0,
                     callbacks=[Scripted("val_score", values), *extra, cb, weights])
    return model, hist, weights


def test_early_stopping_patience_min_delta_and_mode():
    es = C.EarlyStopping(monitor="val_score", patience=2, mode="min")
    _, hist, _ = _fit_scripted([5, 4, 4.5, 4.2, 1, 1], es)
    assert hist.epoch == [0, 1, 2, 3] and es.stopped_epoch == 3 and es.best == 4
    # improvements smaller than min_delta do not count
    es = C.EarlyStopping(monitor="val_score", patience=1, mode="min", min_delta=0.5)
    _, hist, _ = _fit_scripted([5, 4.8, 4.7, 1, 1], es)
    assert hist.epoch == [0, 1]
    es = C.EarlyStopping(monitor="val_score", patience=1, mode="max")
    _, hist, _ = _fit_scripted([1, 2, 3, 2.5, 9], es)
    assert hist.epoch == [0, 1, 2, 3] and es.best == 3
    # patience 0 stops at the first epoch without improvement (but never at epoch 0)
    es = C.EarlyStopping(monitor="val_score", patience=0, mode="min")
    _, hist, _ = _fit_scripted([3, 3, 2], es)
    assert hist.epoch == [0, 1]


def test_early_stopping_baseline_and_start_from_epoch():
    # an improvement that does not beat the baseline does not reset the patience count
    es = C.EarlyStopping(monitor="val_score", patience=2, mode="min", baseline=1.0)
    _, hist, _ = _fit_scripted([3, 3, 3, 0.5], es)
    assert hist.epoch == [0, 1]
    es = C.EarlyStopping(monitor="val_score", patience=2, mode="min")
    _, hist, _ = _fit_scripted([3, 3, 3, 0.5], es)
    assert hist.epoch == [0, 1, 2]
    es = C.EarlyStopping(monitor="val_score", patience=2, mode="min", baseline=1.0)
    _, hist, _ = _fit_scripted([0.9, 0.9, 0.8, 0.9, 0.9, 0.1], es)
    assert hist.epoch == [0, 1, 2, 3, 4]
    # warm-up epochs are not monitored
    es = C.EarlyStopping(monitor="val_score", patience=0, mode="min", start_from_epoch=2)
    _, hist, _ = _fit_scripted([1, 5, 6, 7, 8], es)
    assert hist.epoch == [0, 1, 2, 3]


def test_early_stopping_restores_best_weights_when_stopping_and_at_the_last_epoch():
    es = C.EarlyStopping(monitor="val_score", patience=2, mode="min",
                         restore_best_weights=True)
    model, hist, weights = _fit_scripted([5, 3, 4, 6, 1, 1], es)
    assert hist.epoch == [0, 1, 2, 3] and es.best_epoch == 1
    for got, want in zip(model.get_weights(), weights.weights[1]):
        np.testing.assert_array_equal(got, want)
    # training that runs to the last epoch restores the best one too
    es = C.EarlyStopping(monitor="val_score", patience=10, mode="min",
                         restore_best_weights=True)
    model, hist, weights = _fit_scripted([5, 2, 4, 3], es)
    assert hist.epoch == [0, 1, 2, 3] and es.stopped_epoch == 0
    for got, want in zip(model.get_weights(), weights.weights[1]):
        np.testing.assert_array_equal(got, want)
    assert not all(np.array_equal(a, b) for a, b in zip(weights.weights[1],
                                                         weights.weights[3]))


def test_early_stopping_auto_mode_and_missing_monitor(capsys):
    x, y = _data(32)
    model = _model(lr=0.0)  # nothing improves
    es = C.EarlyStopping(monitor="val_accuracy", patience=1, verbose=1)
    model.fit(x, y, epochs=5, verbose=0, validation_data=(x, y), callbacks=[es])
    assert es.monitor_op is np.greater  # accuracy is maximized
    assert "Epoch 2: early stopping" in capsys.readouterr().out
    es = C.EarlyStopping(monitor="loss", patience=1)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[es])
    assert es.monitor_op is np.less
    with pytest.warns(UserWarning, match="not available"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[C.EarlyStopping(monitor="val_loss")])
    with pytest.raises(ValueError, match="maximized or minimized"):
        _fit_scripted([1, 2], C.EarlyStopping(monitor="val_score"))


# ---------------------------------------------------------------------------- ModelCheckpoint
def test_model_checkpoint_templates_and_save_best_only(tmp_path):
    pattern = str(tmp_path / "ckpt" / "w-{epoch:02d}-{val_score:.2f}.weights.safetensors")
    cb = C.ModelCheckpoint(pattern, monitor="val_score", mode="min", save_best_only=True,
                           save_weights_only=True)
    model, _, weights = _fit_scripted([0.9, 0.5, 0.7, 0.3], cb)
    files = sorted(os.listdir(tmp_path / "ckpt"))
    assert files == ["w-01-0.90.weights.safetensors", "w-02-0.50.weights.safetensors",
                     "w-04-0.30.weights.safetensors"]
    model.load_weights(str(tmp_path / "ckpt" / "w-02-0.50.weights.safetensors"))
    for got, want in zip(model.get_weights(), weights.weights[1]):
        np.testing.assert_array_equal(got, want)
    # without save_best_only every epoch is saved; one fixed name is overwritten atomically
    fixed = tmp_path / "last.weights.safetensors"
    cb = C.ModelCheckpoint(str(fixed), save_weights_only=True)
    model, _, weights = _fit_scripted([1, 1, 1], cb, extra=())
    fresh = _model(seed=5)
    fresh.load_weights(str(fixed))
    for got, want in zip(fresh.get_weights(), weights.weights[-1]):
        np.testing.assert_array_equal(got, want)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("last")] == \
        ["last.weights.safetensors"]


def test_model_checkpoint_whole_model_and_batch_frequency(tmp_path, capsys):
    x, y = _data(64)
    model = _model()
    cb = C.ModelCheckpoint(str(tmp_path / "m-{epoch}-{batch}.keras"), save_freq=3, verbose=1)
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[cb])
    # 4 batches per epoch, a save every 3 batches: after batch 3 of epoch 1 and batch 2 of
    # epoch 2 (1-based in the name)
    assert sorted(os.listdir(tmp_path)) == ["m-1-3.keras", "m-2-2.keras"]
    assert "saving model to" in capsys.readouterr().out
    loaded = keras.models.load_model(str(tmp_path / "m-2-2.keras"))
    assert len(loaded.get_weights()) == 4


def test_model_checkpoint_errors(tmp_path):
    with pytest.raises(ValueError, match=r"\.weights\.safetensors"):
        C.ModelCheckpoint(str(tmp_path / "w.weights.h5"), save_weights_only=True)
    with pytest.raises(ValueError, match=r"\.keras"):
        C.ModelCheckpoint(str(tmp_path / "model.h5"))
    with pytest.raises(ValueError, match="save_freq"):
        C.ModelCheckpoint(str(tmp_path / "m.keras"), save_freq="often")
    cb = C.ModelCheckpoint(str(tmp_path / "{nope}.keras"))
    with pytest.raises(KeyError, match="nope"):
        _fit_scripted([1], cb)


# ---------------------------------------------------------------------------- learning rate
def test_reduce_lr_on_plateau_and_learning_rate_in_history(capsys):
    cb = C.ReduceLROnPlateau(monitor="val_score", factor=0.5, patience=1, mode="min",
                             min_lr=0.001, verbose=1, cooldown=2)
    model = _model(lr=0.08)
    _, hist, _ = _fit_scripted([5, 5, 5, 4, 5, 5, 5, 5], cb, model=model)
    # reduced after epochs 1 (no improvement), 4 (the improvement at epoch 3 reset the
    # count) and 6 (the cooldown of 2 epochs skipped epoch 5); the log is the rate used
    assert hist.history["learning_rate"] == pytest.approx(
        [0.08, 0.08, 0.04, 0.04, 0.04, 0.02, 0.02, 0.01])
    assert model.optimizer.learning_rate == pytest.approx(0.01)
    assert model.optimizer.inner.param_groups[0]["lr"] == pytest.approx(0.01)
    assert "Epoch 2: ReduceLROnPlateau reducing learning rate to 0.04." in \
        capsys.readouterr().out
    # never below min_lr
    cb = C.ReduceLROnPlateau(monitor="val_score", factor=0.1, patience=0, mode="min",
                             min_lr=0.005)
    model = _model(lr=0.08)
    _fit_scripted([5, 5, 5, 5], cb, model=model)
    assert model.optimizer.learning_rate == pytest.approx(0.005)
    with pytest.raises(ValueError, match="factor"):
        C.ReduceLROnPlateau(factor=1.5)


def test_learning_rate_scheduler_sets_the_optimizer_and_history():
    x, y = _data(32)
    model = _model(lr=0.1)
    seen = []

    class Peek(C.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            seen.append(model.optimizer.inner.param_groups[0]["lr"])

    sched = C.LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch > 0 else lr)
    hist = model.fit(x, y, batch_size=32, epochs=3, verbose=0, callbacks=[sched, Peek()])
    assert seen == pytest.approx([0.1, 0.05, 0.025])
    assert hist.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.025])
    # the one-argument form
    model.fit(x, y, batch_size=32, epochs=1, verbose=0,
              callbacks=[C.LearningRateScheduler(lambda epoch: 0.3)])
    assert model.optimizer.learning_rate == pytest.approx(0.3)
    with pytest.raises(ValueError, match="should be a float"):
        model.fit(x, y, epochs=1, verbose=0,
                  callbacks=[C.LearningRateScheduler(lambda epoch, lr: "fast")])
    # the learning rate is logged only when a callback changes it
    assert "learning_rate" not in model.fit(x, y, epochs=1, verbose=0).history


# ---------------------------------------------------------------------------- TerminateOnNaN
def test_terminate_on_nan_stops_at_the_exact_batch(capsys):
    x, y = _data(64)
    x[40] = np.nan  # in batch 2 of 4 (batch size 16, no shuffling)
    model = _model()
    rec = Recorder()
    hist = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0,
                     callbacks=[C.TerminateOnNaN(), rec])
    batches = [c for c in rec.calls if c.startswith("train_batch")]
    assert batches == ["train_batch_begin 0", "train_batch_end 0", "train_batch_begin 1",
                       "train_batch_end 1", "train_batch_begin 2", "train_batch_end 2"]
    assert hist.epoch == [0] and math.isnan(hist.history["loss"][0])
    assert "Batch 2: Invalid loss, terminating training" in capsys.readouterr().out
    with pytest.raises(RuntimeError, match="Invalid loss"):
        _model().fit(x, y, batch_size=16, shuffle=False, verbose=0,
                     callbacks=[C.TerminateOnNaN(raise_error=True)])


# ---------------------------------------------------------------------------- CSVLogger
def test_csv_logger(tmp_path):
    x, y = _data(32)
    path = tmp_path / "log.csv"
    model = _model()
    model.fit(x, y, epochs=2, verbose=0, validation_data=(x, y), validation_freq=2,
              callbacks=[C.CSVLogger(str(path))])
    rows = list(csv.reader(open(path)))
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert rows[1][0] == "0" and rows[1][3:] == ["NA", "NA"]  # validation only at epoch 2
    assert rows[2][0] == "1" and float(rows[2][4]) > 0
    model.fit(x, y, epochs=1, verbose=0, callbacks=[C.CSVLogger(str(path), append=True,
                                                                separator=";")])
    lines = open(path).read().splitlines()
    assert len(lines) == 4 and lines[3].startswith("0;")


# ---------------------------------------------------------------------------- BackupAndRestore
class Crash(C.Callback):
    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at:
            raise RuntimeError("simulated crash")


def test_backup_and_restore_resumes_bit_identically(tmp_path):
    x, y = _data(80, seed=3)
    kw = dict(batch_size=16, epochs=6, validation_split=0.2, verbose=0)  # shuffled batches
    full = _model(dropout=0.3)  # dropout draws random numbers every step
    full_hist = full.fit(x, y, **kw)

    backup = C.BackupAndRestore(str(tmp_path / "backup"))
    first = _model(dropout=0.3)
    with pytest.raises(RuntimeError, match="simulated crash"):
        first.fit(x, y, callbacks=[backup, Crash(at=3)], **kw)
    assert os.path.exists(tmp_path / "backup" / "latest.lightgrad")
    assert first.history.history["loss"] == full_hist.history["loss"][:3]

    # a "new process": other random states, other initial weights
    lightgrad.manual_seed(12345)
    np.random.seed(7)
    random.seed(7)
    resumed = _model(seed=99, dropout=0.3)
    hist = resumed.fit(x, y, callbacks=[backup], **kw)
    assert hist.epoch == [3, 4, 5]
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert hist.history[key] == full_hist.history[key][3:]  # bit for bit
    for got, want in zip(resumed.get_weights(), full.get_weights()):
        np.testing.assert_array_equal(got, want)
    assert resumed.optimizer.iterations == full.optimizer.iterations
    # NumPy's and Python's global generators are restored too
    assert not os.path.exists(tmp_path / "backup")  # deleted after a complete run


def test_backup_and_restore_details(tmp_path):
    x, y = _data(32)
    folder = tmp_path / "bk"
    backup = C.BackupAndRestore(str(folder), delete_checkpoint=False)
    model = _model()
    np.random.seed(3)
    random.seed(3)
    with pytest.raises(RuntimeError):
        model.fit(x, y, epochs=3, verbose=0, callbacks=[backup, Crash(at=1)])
    state_np, state_py = np.random.get_state(), random.getstate()
    np.random.seed(4)
    random.seed(4)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[backup])  # already past epoch 1: no step
    assert model.history.epoch == []
    assert np.array_equal(np.random.get_state()[1], state_np[1])
    assert random.getstate() == state_py
    assert folder.exists()  # delete_checkpoint=False keeps it
    # a damaged latest backup falls back to the previous one
    model.fit(x, y, epochs=2, verbose=0, callbacks=[backup])
    (folder / "latest.lightgrad").write_bytes(b"garbage")
    other = _model(seed=3)
    other.fit(x, y, epochs=3, verbose=0, callbacks=[C.BackupAndRestore(str(folder))])
    assert other.history.epoch == [1, 2]
    with pytest.raises(ValueError, match="backup_dir"):
        C.BackupAndRestore("")
    with pytest.raises(ValueError, match="save_freq"):
        C.BackupAndRestore(str(folder), save_freq="sometimes")


def test_backup_every_few_batches(tmp_path):
    x, y = _data(64)
    backup = C.BackupAndRestore(str(tmp_path / "b"), save_freq=2)

    class CrashMidEpoch(C.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if batch == 3:
                raise RuntimeError("boom")

    model = _model()
    with pytest.raises(RuntimeError, match="boom"):
        model.fit(x, y, batch_size=16, epochs=2, verbose=0,
                  callbacks=[backup, CrashMidEpoch()])
    state = lightgrad.load(str(tmp_path / "b" / "latest.lightgrad"))
    assert state["epoch"] == 0 and state["batch"] == 1  # after batches 0-1, in epoch 0
    model2 = _model(seed=4)
    hist = model2.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[backup])
    assert hist.epoch == [0, 1]  # the interrupted epoch restarts from its beginning
