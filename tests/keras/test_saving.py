"""model.save / keras.models.load_model / save_weights / load_weights: round trips, resumed
training, custom objects and Lambda layers, atomic writes, and hostile files rejected."""

import io
import json
import os
import warnings
import zipfile

import numpy as np
import pytest

import lightgrad
from lightgrad import keras
from lightgrad.io import LoadError, atomic
from lightgrad.keras.saving import archive, serialization


def _data(n=64, d=4, classes=3, seed=0):
    r = np.random.default_rng(seed)
    return r.standard_normal((n, d)).astype(np.float32), r.integers(0, classes, n)


def _sequential(dropout=True):
    layers = [keras.Input(shape=(4,)), keras.layers.Dense(8, activation="relu"),
              keras.layers.BatchNormalization()]
    if dropout:
        layers.append(keras.layers.Dropout(0.25))
    layers.append(keras.layers.Dense(3, activation="softmax"))
    return keras.Sequential(layers)


def _trained(tmp_path=None, epochs=2, optimizer=None):
    lightgrad.manual_seed(0)
    model = _sequential()
    model.compile(optimizer or keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    x, y = _data()
    model.fit(x, y, epochs=epochs, batch_size=16, verbose=0)
    return model


def _members(path):
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _zip(path, members, flags=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names on purpose
        with zipfile.ZipFile(path, "w") as zf:
            for name, data in members:
                zf.writestr(zipfile.ZipInfo(name), data)
    return path


# ============================================================================ round trips
def test_sequential_round_trip_predicts_identically(tmp_path):
    model = _trained()
    path = tmp_path / "m.keras"
    model.save(path)
    assert set(_members(path)) == {"metadata.json", "config.json", "model.weights.safetensors",
                                   "optimizer.safetensors"}
    loaded = keras.models.load_model(path)
    x, _ = _data(seed=1)
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    assert [type(layer).__name__ for layer in loaded.layers] == \
        ["Dense", "BatchNormalization", "Dropout", "Dense"]
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    for a, b in zip(model.get_weights(), loaded.get_weights()):  # incl. BN moving statistics
        np.testing.assert_array_equal(a, b)
    assert loaded.get_config() == model.get_config()
    assert isinstance(loaded.optimizer, keras.optimizers.Adam)
    assert loaded.optimizer.learning_rate == 0.01
    assert loaded.optimizer.iterations == model.optimizer.iterations == 8
    assert loaded.loss.name == "sparse_categorical_crossentropy"
    meta = json.loads(_members(path)["metadata.json"])
    assert meta["format"] == "lightgrad.keras" and meta["format_version"] == 1
    assert meta["lightgrad_version"] == lightgrad.__version__


def test_resumed_training_is_identical_to_uninterrupted(tmp_path):
    for opt in (keras.optimizers.Adam(0.01), keras.optimizers.SGD(0.05, momentum=0.9)):
        model = _trained(optimizer=opt)
        model.save(tmp_path / "m.keras")
        loaded = keras.models.load_model(tmp_path / "m.keras")
        x, y = _data()
        lightgrad.manual_seed(7)  # the same shuffling and dropout masks for both runs
        h1 = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
        lightgrad.manual_seed(7)
        h2 = loaded.fit(x, y, epochs=2, batch_size=16, verbose=0)
        assert h1.history == h2.history
        for a, b in zip(model.get_weights(), loaded.get_weights()):
            np.testing.assert_array_equal(a, b)


def test_without_optimizer_state_training_differs(tmp_path):
    model = _trained()
    model.save(tmp_path / "m.keras", include_optimizer=False)
    assert "optimizer.safetensors" not in _members(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.optimizer.inner is None  # a fresh Adam: its moments start from zero
    x, y = _data()
    lightgrad.manual_seed(7)
    h1 = model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    lightgrad.manual_seed(7)
    h2 = loaded.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert h1.history["loss"] != h2.history["loss"]


def test_functional_model_round_trip(tmp_path):
    a = keras.Input(shape=(4,), name="in_a")
    b = keras.Input(shape=(3,), name="in_b")
    shared = keras.layers.Dense(5, activation="tanh", name="shared")
    h0 = shared(a)
    h1 = shared(keras.layers.Dense(4, name="proj")(b))
    merged = keras.layers.Concatenate()([h0, h1])
    tower = keras.Sequential([keras.layers.Dense(6, activation="relu")], name="tower")
    o1 = keras.layers.Dense(1, activation="sigmoid", name="out1")(tower(merged))
    o2 = keras.layers.Dense(2, name="out2")(keras.layers.Add()([h0, h1]))
    model = keras.Model([a, b], [o1, o2], name="two_heads")
    r = np.random.default_rng(0)
    x = [r.standard_normal((5, 4)).astype(np.float32),
         r.standard_normal((5, 3)).astype(np.float32)]
    model.save(tmp_path / "f.keras")
    loaded = keras.models.load_model(tmp_path / "f.keras")
    assert loaded.name == "two_heads"
    for p, q in zip(model.predict(x, verbose=0), loaded.predict(x, verbose=0)):
        np.testing.assert_array_equal(p, q)
    cfg = model.get_config()
    assert cfg["input_layers"] == [["in_a", 0, 0], ["in_b", 0, 0]]
    assert cfg["output_layers"] == [["out1", 0, 0], ["out2", 0, 0]]
    shared_cfg = next(spec for spec in cfg["layers"] if spec["name"] == "shared")
    assert len(shared_cfg["inbound_nodes"]) == 2  # called twice, one set of weights
    assert loaded.get_config() == cfg
    assert sum(w.size for w in loaded.get_weights()) == model.count_params()


def test_functional_single_io_and_config_round_trip_without_file():
    inp = keras.Input(shape=(6,))
    out = keras.layers.Dense(2)(keras.layers.Dropout(0.1)(keras.layers.Dense(3)(inp)))
    model = keras.Model(inp, out)
    cfg = model.get_config()
    assert cfg["input_layers"][1:] == [0, 0] and isinstance(cfg["input_layers"][0], str)
    rebuilt = serialization.deserialize_layer({"class_name": "Functional", "config": cfg})
    assert rebuilt.get_config() == cfg
    x = np.ones((2, 6), np.float32)
    assert rebuilt.predict(x, verbose=0).shape == (2, 2)
    clone = keras.models.clone_model(model)  # same architecture, fresh weights
    assert clone.get_config() == cfg
    assert not np.array_equal(clone.get_weights()[0], model.get_weights()[0])
    again = keras.models.model_from_json(model.to_json())
    assert again.get_config() == cfg


def test_compile_config_keeps_loss_options_and_metrics(tmp_path):
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3)])
    model.compile(keras.optimizers.RMSprop(0.003, rho=0.8),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy", keras.metrics.SparseCategoricalAccuracy(name="acc2")])
    model.save(tmp_path / "c.keras")
    loaded = keras.models.load_model(tmp_path / "c.keras")
    assert isinstance(loaded.optimizer, keras.optimizers.RMSprop)
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert loaded.loss.from_logits is True
    assert loaded.loss.name == "sparse_categorical_crossentropy"
    x, y = _data()
    assert set(loaded.evaluate(x, y, verbose=0, return_dict=True)) == {"loss", "accuracy",
                                                                        "acc2"}
    bare = keras.models.load_model(tmp_path / "c.keras", compile=False)
    assert not bare.compiled


def test_file_objects_and_overwrite(tmp_path):
    model = _trained()
    buf = io.BytesIO()
    model.save(buf)
    buf.seek(0)
    loaded = keras.models.load_model(buf)
    x, _ = _data(seed=2)
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    path = tmp_path / "m.keras"
    model.save(path)
    with pytest.raises(FileExistsError):
        model.save(path, overwrite=False)
    with pytest.raises(ValueError, match=r"\.keras"):
        model.save(tmp_path / "m.h5")
    with pytest.raises(ValueError, match="not built"):
        keras.Sequential([keras.layers.Dense(2)]).save(tmp_path / "unbuilt.keras")


def test_saved_bytes_are_reproducible(tmp_path):
    model = _trained()
    model.save(tmp_path / "a.keras")
    model.save(tmp_path / "b.keras")
    a, b = _members(tmp_path / "a.keras"), _members(tmp_path / "b.keras")
    assert {k: v for k, v in a.items() if k != "metadata.json"} == \
        {k: v for k, v in b.items() if k != "metadata.json"}


# ============================================================================ weights files
def test_save_and_load_weights_by_order_and_by_name(tmp_path):
    model = _trained()
    path = tmp_path / "w.weights.safetensors"
    model.save_weights(path)
    # a fresh copy of the architecture: new automatic names (dense_7...), matched by order
    fresh = _sequential()
    assert [layer.name for layer in fresh.layers] != [layer.name for layer in model.layers]
    fresh.load_weights(path)
    x, _ = _data(seed=3)
    np.testing.assert_array_equal(model.predict(x, verbose=0), fresh.predict(x, verbose=0))
    # the file is plain safetensors too
    flat = lightgrad.io.load_safetensors(path)
    assert any(k.endswith("linear.weight") for k in flat)
    # weights from a .keras file
    model.save(tmp_path / "m.keras")
    other = _sequential()
    other.load_weights(tmp_path / "m.keras")
    np.testing.assert_array_equal(model.predict(x, verbose=0), other.predict(x, verbose=0))
    with pytest.raises(ValueError, match=r"\.weights\.safetensors"):
        model.save_weights(tmp_path / "w.h5")


def test_load_weights_by_name_skips_unknown_layers(tmp_path):
    inp = keras.Input(shape=(4,))
    model = keras.Model(inp, keras.layers.Dense(3, name="head")(
        keras.layers.Dense(5, name="body")(inp)))
    model.save_weights(tmp_path / "w.weights.safetensors")
    inp2 = keras.Input(shape=(4,))
    other = keras.Model(inp2, keras.layers.Dense(2, name="new_head")(
        keras.layers.Dense(5, name="body")(inp2)))
    before = other.get_layer("new_head").get_weights()
    other.load_weights(tmp_path / "w.weights.safetensors", by_name=True)
    np.testing.assert_array_equal(other.get_layer("body").get_weights()[0],
                                  model.get_layer("body").get_weights()[0])
    np.testing.assert_array_equal(other.get_layer("new_head").get_weights()[0], before[0])


def test_load_weights_mismatch_is_an_error_and_changes_nothing(tmp_path):
    model = _trained()
    model.save_weights(tmp_path / "w.weights.safetensors")
    wider = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.BatchNormalization(), keras.layers.Dropout(0.25),
                              keras.layers.Dense(4, activation="softmax")])
    before = wider.get_weights()
    with pytest.raises(ValueError, match=r"shape \(3, 8\), the model \(4, 8\)"):
        wider.load_weights(tmp_path / "w.weights.safetensors")
    for a, b in zip(before, wider.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.warns(UserWarning, match="skipping"):
        wider.load_weights(tmp_path / "w.weights.safetensors", skip_mismatch=True)
    for a, b in zip(wider.get_weights()[:6], model.get_weights()[:6]):  # Dense + BN loaded
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(wider.get_weights()[-1], before[-1])  # the head is skipped
    shorter = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3)])
    with pytest.raises(ValueError, match="2 layers|layers with weights"):
        shorter.load_weights(tmp_path / "w.weights.safetensors")


# ============================================================================ custom objects
class Scale(keras.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight("w", (input_shape[-1],), initializer="ones")

    def call(self, inputs, training=None):
        return inputs * self.w * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def cubic(x):
    return x * x * x


def test_custom_layers_and_functions_need_custom_objects(tmp_path):
    model = keras.Sequential([keras.Input(shape=(3,)), Scale(3.0, name="scale"),
                              keras.layers.Dense(2, activation=cubic)])
    path = tmp_path / "custom.keras"
    model.save(path)
    with pytest.raises(ValueError, match="Unknown layer class 'Scale'.*custom_objects"):
        keras.models.load_model(path)
    with pytest.raises(ValueError, match="cubic"):
        keras.models.load_model(path, custom_objects={"Scale": Scale})
    loaded = keras.models.load_model(path, custom_objects={"Scale": Scale, "cubic": cubic})
    x = np.linspace(-1, 1, 6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    assert loaded.layers[0].factor == 3.0


def test_lambda_layers_load_only_with_their_function(tmp_path):
    def double(t):
        return t * 2

    inp = keras.Input(shape=(3,))
    out = keras.layers.Dense(2)(keras.layers.Lambda(double, name="twice")(inp))
    model = keras.Model(inp, out)
    path = tmp_path / "lambda.keras"
    model.save(path)
    cfg = json.loads(_members(path)["config.json"])
    assert "double" in json.dumps(cfg) and "def " not in json.dumps(cfg)  # a name, no code
    with pytest.raises(ValueError, match="Lambda layer 'twice'.*safe_mode=True"):
        keras.models.load_model(path)
    with pytest.raises(ValueError, match="even with safe_mode=False.*never stores"):
        keras.models.load_model(path, safe_mode=False)
    x = np.ones((2, 3), np.float32)
    for custom in ({"double": double}, {"twice": double}):
        loaded = keras.models.load_model(path, custom_objects=custom)
        np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    with pytest.raises(TypeError, match="safe_mode"):
        keras.models.load_model(path, safe_mode="no")


# ============================================================================ atomic writes
@pytest.mark.parametrize("step", ["writer", "fsync", "replace"])
def test_interrupted_save_leaves_the_previous_file(tmp_path, monkeypatch, step):
    model = _trained()
    path = tmp_path / "m.keras"
    model.save(path)
    original = path.read_bytes()
    x, _ = _data(seed=4)
    expected = model.predict(x, verbose=0)
    model.fit(*_data(), epochs=1, verbose=0)  # the weights change

    def boom(*args, **kwargs):
        raise KeyboardInterrupt("power cut")

    if step == "writer":
        real = archive._zip_bytes

        def partial(members):
            inner = real(members)

            def write(f):
                f.write(b"PK\x03\x04 half a file")
                boom()
                inner(f)
            return write
        monkeypatch.setattr(archive, "_zip_bytes", partial)
    elif step == "fsync":
        monkeypatch.setattr(atomic, "_fsync", boom)
    else:
        monkeypatch.setattr(atomic, "_replace", boom)
    with pytest.raises(KeyboardInterrupt):
        model.save(path)
    assert path.read_bytes() == original
    assert os.listdir(tmp_path) == ["m.keras"]  # no temporary file left behind
    np.testing.assert_array_equal(keras.models.load_model(path).predict(x, verbose=0), expected)


# ============================================================================ hostile files
@pytest.fixture
def good(tmp_path):
    model = _trained()
    path = tmp_path / "good.keras"
    model.save(path)
    return _members(path)


def _with(good, **changes):
    members = dict(good)
    for k, v in changes.items():
        name = k.replace("__", ".")
        if v is None:
            members.pop(name)
        else:
            members[name] = v
    return list(members.items())


def _config(good, edit):
    cfg = json.loads(good["config.json"])
    edit(cfg)
    return json.dumps(cfg).encode()


def _hostile_cases(good):
    cfg = json.loads(good["config.json"])
    deep = b"[" * 100_000 + b"]" * 100_000
    cycle = {"class_name": "Functional", "config": {
        "name": "loop", "trainable": True,
        "layers": [{"class_name": "InputLayer", "config": {"batch_shape": [None, 2],
                                                           "name": "i"},
                    "name": "i", "inbound_nodes": []},
                   {"class_name": "Dense", "config": {"units": 2, "name": "a"}, "name": "a",
                    "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {
                        "keras_history": ["b", 0, 0]}}], "kwargs": {}}]},
                   {"class_name": "Dense", "config": {"units": 2, "name": "b"}, "name": "b",
                    "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {
                        "keras_history": ["a", 0, 0]}}], "kwargs": {}}]}],
        "input_layers": ["i", 0, 0], "output_layers": ["b", 0, 0]}}

    def layer0(key, value):
        def edit(c):
            c["config"]["layers"][0][key] = value
        return edit

    meta = json.loads(good["metadata.json"])
    return {
        "random bytes": (b"\x00\x01garbage" * 50, "not a .keras file"),
        "a pickle": (b"\x80\x04\x95\x10\x00\x00\x00" + b"x" * 40, "pickle"),
        "empty": (b"", "empty or truncated"),
        "truncated zip": (None, "zip|truncated|corrupt"),
        "no config": (_with(good, config__json=None), "lacks the member.*config.json"),
        "no weights": (_with(good, model__weights__safetensors=None),
                       "lacks the member.*model.weights.safetensors"),
        "corrupt json": (_with(good, config__json=b'{"class_name": "Sequential", "con'),
                         "config.json is not valid JSON"),
        "NaN in json": (_with(good, config__json=good["config.json"].replace(
            b'"epsilon":0.001', b'"epsilon":NaN')), "not valid JSON.*NaN"),
        "deep json": (_with(good, config__json=deep), "nested too deeply|not valid JSON"),
        "not an object": (_with(good, config__json=b"[1, 2]"), "must be an object"),
        "unknown class": (_with(good, config__json=_config(
            good, layer0("class_name", "os.system"))), "Unknown layer class 'os.system'"),
        "tensor as layer": (_with(good, config__json=_config(
            good, layer0("class_name", "KerasTensor"))), "Unknown layer class 'KerasTensor'"),
        "bad layer config": (_with(good, config__json=_config(
            good, lambda c: c["config"]["layers"][0]["config"].update(units=-3))),
            "cannot rebuild layer Dense.*units"),
        "extra kwarg": (_with(good, config__json=_config(
            good, lambda c: c["config"]["layers"][0]["config"].update(__init__="x"))),
            "cannot rebuild layer Dense.*__init__"),
        "weights mismatch": (_with(good, config__json=_config(
            good, lambda c: c["config"]["layers"][0]["config"].update(units=9))),
            "weights do not fit the architecture.*shape \\(8, 4\\), the model \\(9, 4\\)"),
        "path traversal": (_with(good, **{"../evil.txt": b"x"}), "unsafe path '../evil.txt'"),
        "absolute path": (_with(good, **{"/etc/passwd": b"x"}), "unsafe path '/etc/passwd'"),
        "unexpected member": (_with(good, **{"assets/run.py": b"import os"}),
                              "unexpected member 'assets/run.py'"),
        "duplicate member": (list(good.items()) + [("config.json", b"{}")],
                             "config.json' twice"),
        "keras h5 file": (_with(good, model__weights__safetensors=None,
                                model__weights__h5=b"\x89HDF\r\n"), "HDF5 weights"),
        "newer format": (_with(good, metadata__json=json.dumps(
            {**meta, "format_version": 99}).encode()), "format version 99.*upgrade"),
        "foreign metadata": (_with(good, metadata__json=b'{"keras_version": "3.4.1"}'),
                             "does not describe a lightgrad .keras file"),
        "weights not safetensors": (_with(good, model__weights__safetensors=b"\x80\x04pickle"),
                                    "model.weights.safetensors"),
        "optimizer state mismatch": (_with(good, optimizer__safetensors=_foreign_opt_state()),
                                     "optimizer"),
        "graph cycle": (_with(good, config__json=json.dumps({**cfg, **cycle}).encode()),
                        "cannot be completed"),
        "dangling reference": (_with(good, config__json=json.dumps({**cfg, **cycle}).replace(
            '["b", 0, 0]}}], "kwargs"', '["nope", 0, 0]}}], "kwargs"').encode()),
            "unknown layer 'nope'"),
    }


def _foreign_opt_state():
    other = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])
    other.compile(keras.optimizers.Adam(), "mse")
    other.fit(np.zeros((4, 2), np.float32), np.zeros(4, np.float32), verbose=0)
    buf = io.BytesIO()
    other.save(buf)
    buf.seek(0)
    with zipfile.ZipFile(buf) as zf:
        return zf.read("optimizer.safetensors")


def test_at_least_twenty_hostile_files_are_rejected_clearly(tmp_path, good):
    cases = _hostile_cases(good)
    assert len(cases) >= 20
    for name, (content, pattern) in cases.items():
        path = tmp_path / f"{name.replace(' ', '_')}.keras"
        if content is None:  # truncated: half of a valid file
            data = (tmp_path / "good.keras").read_bytes()
            path.write_bytes(data[: len(data) // 2])
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            _zip(path, content)
        with pytest.raises((LoadError, ValueError), match=pattern) as info:
            keras.models.load_model(path)
        assert str(path) in str(info.value) or "load_model" in str(info.value), name


def test_zip_bombs_and_oversized_members(tmp_path, good, monkeypatch):
    bomb = tmp_path / "bomb.keras"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("metadata.json", good["metadata.json"])
        zf.writestr("config.json", b" " * (40 << 20))  # 40 MB of spaces, deflates to ~40 KB
        zf.writestr("model.weights.safetensors", good["model.weights.safetensors"])
    with pytest.raises(LoadError, match="zip bomb"):
        keras.models.load_model(bomb)
    monkeypatch.setitem(archive.MEMBERS, "config.json", 100)
    with pytest.raises(LoadError, match="claims .* bytes, more than the 100 accepted"):
        keras.models.load_model(tmp_path / "good.keras")


def test_corrupted_bytes_and_encryption_flags(tmp_path, good):
    data = bytearray(open(tmp_path / "good.keras", "rb").read())
    # flip one byte inside the (stored, uncompressed) weights: the zip CRC catches it
    start = data.find(good["model.weights.safetensors"][-64:])
    assert start > 0
    flipped = bytearray(data)
    flipped[start + 10] ^= 0xFF
    (tmp_path / "flip.keras").write_bytes(bytes(flipped))
    with pytest.raises(LoadError, match="corrupt|CRC|checksum"):
        keras.models.load_model(tmp_path / "flip.keras")
    # mark every member encrypted in the central directory
    enc = bytearray(data)
    pos = enc.find(b"PK\x01\x02")
    while pos != -1:
        enc[pos + 8] |= 0x1
        pos = enc.find(b"PK\x01\x02", pos + 4)
    (tmp_path / "enc.keras").write_bytes(bytes(enc))
    with pytest.raises(LoadError, match="encrypted"):
        keras.models.load_model(tmp_path / "enc.keras")
    with pytest.raises(FileNotFoundError):
        keras.models.load_model(tmp_path / "missing.keras")
    with pytest.raises(LoadError, match="folder"):
        keras.models.load_model(tmp_path)


class Net(keras.Model):
    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = keras.layers.Dense(units, activation="relu")
        self.out = keras.layers.Dense(2)

    def call(self, inputs, training=None):
        return self.out(self.hidden(inputs))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_subclassed_model_round_trip(tmp_path):
    model = Net(5)
    model.compile(keras.optimizers.SGD(0.1), "mse")
    x = np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32)
    model.fit(x, np.zeros((8, 2), np.float32), epochs=1, verbose=0)
    model.save(tmp_path / "net.keras")
    cfg = json.loads(_members(tmp_path / "net.keras")["config.json"])
    assert cfg["class_name"] == "Net" and cfg["build_config"] == {"input_shape": [8, 3]}
    with pytest.raises(ValueError, match="Unknown layer class 'Net'"):
        keras.models.load_model(tmp_path / "net.keras")
    loaded = keras.models.load_model(tmp_path / "net.keras", custom_objects={"Net": Net})
    assert isinstance(loaded, Net) and loaded.units == 5
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    assert loaded.optimizer.iterations == 1


def test_frozen_layers_stay_frozen_and_resume(tmp_path):
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(4),
                              keras.layers.Dense(2)])
    model.layers[0].trainable = False
    model.compile(keras.optimizers.Adam(0.1), "mse")
    x, y = np.ones((4, 3), np.float32), np.zeros((4, 2), np.float32)
    model.fit(x, y, epochs=2, verbose=0)
    model.save(tmp_path / "frozen.keras")
    loaded = keras.models.load_model(tmp_path / "frozen.keras")
    assert not loaded.layers[0].trainable and len(loaded.trainable_weights) == 2
    lightgrad.manual_seed(1)
    model.fit(x, y, epochs=1, verbose=0)
    lightgrad.manual_seed(1)
    loaded.fit(x, y, epochs=1, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
