"""keras.utils (to_categorical, normalize, set_random_seed, plot_model, Progbar) and
model.summary()."""

import os
import random
import re
import stat

import numpy as np
import pytest

import lightgrad
from lightgrad import keras
from lightgrad.keras import utils as kutils


# ---------------------------------------------------------------------------- arrays
def test_to_categorical():
    out = keras.utils.to_categorical([0, 2, 1])
    np.testing.assert_array_equal(out, np.eye(3)[[0, 2, 1]])
    assert out.dtype == np.float64
    # a trailing axis of 1 is dropped; other shapes get a class axis
    assert keras.utils.to_categorical(np.array([[1], [0]]), 4).shape == (2, 4)
    assert keras.utils.to_categorical(np.zeros((2, 3), int), 5).shape == (2, 3, 5)
    t = keras.utils.to_categorical(lightgrad.tensor([1, 0]), 2)
    assert isinstance(t, lightgrad.Tensor) and t.dtype == lightgrad.float32
    np.testing.assert_array_equal(t.numpy(), [[0, 1], [1, 0]])
    assert keras.utils.to_categorical(np.array([1.0, 2.0]), 3)[1, 2] == 1
    with pytest.raises(ValueError, match="out of range"):
        keras.utils.to_categorical([0, 3], num_classes=3)
    with pytest.raises(ValueError, match="non-negative"):
        keras.utils.to_categorical([-1, 0])
    with pytest.raises(ValueError, match="integers"):
        keras.utils.to_categorical([0.5])


def test_normalize():
    x = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, 0.0]])
    np.testing.assert_allclose(keras.utils.normalize(x), [[0.6, 0.8], [0, 0], [1, 0]])
    np.testing.assert_allclose(keras.utils.normalize(x, order=1)[0], [3 / 7, 4 / 7])
    np.testing.assert_allclose(np.linalg.norm(keras.utils.normalize(x, axis=0), axis=0), 1)


def test_set_random_seed_seeds_everything():
    def draw():
        layer = keras.layers.Dense(3)
        layer(np.ones((1, 2), np.float32))
        return (random.random(), np.random.rand(), lightgrad.rand(2).numpy().tolist(),
                layer.get_weights()[0].tolist())

    keras.utils.set_random_seed(42)
    a = draw()
    keras.utils.set_random_seed(42)
    b = draw()
    keras.utils.set_random_seed(43)
    c = draw()
    assert a == b and all(u != v for u, v in zip(a, c))
    with pytest.raises(ValueError, match="integer"):
        keras.utils.set_random_seed(1.5)
    with pytest.raises(ValueError, match="2\\*\\*32"):
        keras.utils.set_random_seed(-1)


# ---------------------------------------------------------------------------- Progbar
def test_progbar_text_modes(capsys, monkeypatch):
    monkeypatch.setattr(kutils, "_tqdm_class", lambda: None)
    bar = keras.utils.Progbar(4, verbose=2)
    for i in range(1, 5):
        bar.update(i, [("loss", float(i))])
    out = capsys.readouterr().out
    # values not declared stateful are averaged over the steps, as Keras does
    assert re.match(r"^4/4 - \d+s - \d+(us|ms|s)/step - loss: 4\.0000\n$", out)
    bar = keras.utils.Progbar(4, verbose=1, stateful_metrics=["acc"], interval=0)
    monkeypatch.setattr(bar, "_dynamic", True)
    bar.add(2, [("loss", 1.0), ("acc", 0.5)])
    bar.add(2, [("loss", 3.0), ("acc", 0.75)])
    out = capsys.readouterr().out
    assert out.startswith("\r2/4 [=========>..........] - ETA: ")
    assert "loss: 1.0000 - acc: 0.5000" in out and out.endswith("loss: 3.0000 - acc: 0.7500\n")
    bar = keras.utils.Progbar(None, verbose=1)
    bar.update(7, finalize=True)
    assert capsys.readouterr().out.startswith("      7/Unknown")
    keras.utils.Progbar(3, verbose=0).update(3, [("loss", 1.0)])
    assert capsys.readouterr().out == ""


def test_resolve_verbose(monkeypatch):
    monkeypatch.setattr(kutils, "_is_tty", lambda: True)
    assert kutils.resolve_verbose("auto") == 1
    monkeypatch.setattr(kutils, "_is_tty", lambda: False)
    assert kutils.resolve_verbose("auto") == 2
    assert kutils.resolve_verbose(0) == 0
    with pytest.raises(ValueError, match="verbose"):
        kutils.resolve_verbose("loud")


# ---------------------------------------------------------------------------- summary
def _capture(model, **kw):
    lines = []
    model.summary(print_fn=lines.append, **kw)
    assert len(lines) == 1
    return lines[0]


def test_summary_of_a_sequential_model():
    model = keras.Sequential([keras.Input(shape=(784,)),
                              keras.layers.Dense(64, activation="relu", name="hidden"),
                              keras.layers.BatchNormalization(name="bn"),
                              keras.layers.Dropout(0.2, name="drop"),
                              keras.layers.Dense(10, activation="softmax", name="probs")],
                             name="mlp")
    text = _capture(model, line_length=80)
    lines = text.splitlines()
    assert lines[0] == 'Model: "mlp"'
    assert all(len(line) == 80 for line in lines[1:-3])
    assert lines[1].startswith("┏") and lines[3].startswith("┡") and lines[-4].startswith("└")
    assert re.search(r"│ hidden \(Dense\) +│ \(None, 64\) +│ +50,240 │", text)
    assert re.search(r"│ bn \(BatchNormalization\) +│ \(None, 64\) +│ +256 │", text)
    assert re.search(r"│ drop \(Dropout\) +│ \(None, 64\) +│ +0 │", text)
    assert re.search(r"│ probs \(Dense\) +│ \(None, 10\) +│ +650 │", text)
    assert text.count("├") == 3  # a rule between rows
    # 50,240 + 256 + 650 weights, of which BatchNorm's moving mean/variance are frozen
    assert lines[-3] == " Total params: 51,146 (199.79 KB)"
    assert lines[-2] == " Trainable params: 51,018 (199.29 KB)"
    assert lines[-1] == " Non-trainable params: 128 (512.00 B)"
    counted = sum(int(np.prod(w.shape)) for w in model.get_weights())
    assert counted == 51146


def test_summary_functional_graph_shapes_and_options():
    a = keras.Input(shape=(None, 3), name="seq")
    b = keras.Input(shape=(5,), name="side")
    h = keras.layers.Dense(4, name="proj")(a)
    pooled = keras.layers.Flatten(name="flat")(keras.layers.Dense(1, name="score")(b))
    out = keras.layers.Concatenate(name="join")([pooled, keras.layers.Dense(2, name="d2")(b)])
    model = keras.Model([a, b], [h, out], name="two_towers")
    text = _capture(model, line_length=120)
    assert "Connected to" in text
    assert re.search(r"│ seq \(InputLayer\) +│ \(None, None, 3\) +│ +0 │ - +│", text)
    # the variable-length axis stays None (two probes of different lengths)
    assert re.search(r"│ proj \(Dense\) +│ \(None, None, 4\) +│ +16 │ seq\[0\]\[0\]", text)
    assert re.search(r"│ join \(Concatenate\) +│ \(None, 3\) +│ +0 │ "
                     r"flat\[0\]\[0\], d2\[0\]\[0\] +│", text)
    # a narrow table wraps long cells onto more lines instead of cutting them
    narrow = _capture(model, line_length=60)
    assert all(len(line) == 60 for line in narrow.splitlines()[1:-3])
    assert "d2[0][0]" in narrow and "flat[0][0]," in narrow
    text = _capture(model, line_length=120, show_trainable=True,
                    layer_range=["proj", "score"])
    assert "Trainable" in text and "seq (InputLayer)" not in text
    assert re.search(r"proj \(Dense\).*│ +Y +│", text)
    # the random state is untouched by the probes
    state = lightgrad.backend.default_generator.get_state()
    _capture(model, line_length=120)
    assert lightgrad.backend.default_generator.get_state() == state


def test_summary_subclassed_unbuilt_nested_and_optimizer():
    class Net(keras.Model):
        def __init__(self):
            super().__init__(name="net")
            self.body = keras.Sequential([keras.layers.Dense(3, name="inner")], name="body")
            self.head = keras.layers.Dense(2, name="head")

        def call(self, inputs):
            return self.head(self.body(inputs))

    net = Net()
    text = _capture(net)
    assert "0 (unbuilt)" in text and "?" in text and " Total params: 0 (0.00 B)" in text
    net.compile("adam", "mse")
    net.fit(np.ones((8, 4), np.float32), np.zeros((8, 2), np.float32), verbose=0)
    text = _capture(net, expand_nested=True, line_length=88)
    assert re.search(r"│ body \(Sequential\) +│ \(None, 3\) +│ +15 │", text)
    assert re.search(r"│ +└ inner \(Dense\) +│ \(None, 3\) +│ +15 │", text)
    assert re.search(r"│ head \(Dense\) +│ \(None, 2\) +│ +8 │", text)
    # Adam keeps two moments per weight (+ Keras's iteration counter and learning rate)
    assert " Optimizer params: 48 (" in text and " Total params: 71 (" in text
    net.body.trainable = False
    text = _capture(net)
    assert " Trainable params: 8 (32.00 B)" in text and " Non-trainable params: 15 (" in text


def test_summary_prints_and_checks_width(capsys):
    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1, name="only")])
    model.summary(line_length=50)
    out = capsys.readouterr().out
    assert out.startswith('Model: "') and "only (Dense)" in out and out.endswith("B)\n")
    with pytest.raises(ValueError, match="Insufficient console width"):
        model.summary(line_length=10)
    with pytest.raises(ValueError, match="layer_range"):
        model.summary(layer_range=["only"])


# ---------------------------------------------------------------------------- plot_model
def _functional():
    inp = keras.Input(shape=(4,), name="features")
    h = keras.layers.Dense(8, activation="relu", name="hidden")(inp)
    a = keras.layers.Dense(1, name="out_a")(h)
    b = keras.layers.Dense(2, name="out_b")(h)
    return keras.Model(inp, [a, b])


def test_model_to_dot():
    dot = keras.utils.model_to_dot(_functional(), show_shapes=True, show_dtype=True,
                                   show_layer_activations=True, rankdir="LR")
    assert dot.startswith("digraph model {") and dot.rstrip().endswith("}")
    assert "rankdir=LR" in dot
    labels = dict(re.findall(r'(n\d+) \[label="([^"]*)"\]', dot))
    names = {k: v.split("\\n")[0] for k, v in labels.items()}
    assert sorted(names.values()) == ["features (InputLayer)", "hidden (Dense)",
                                      "out_a (Dense)", "out_b (Dense)"]
    ids = {v: k for k, v in names.items()}
    edges = set(re.findall(r"(n\d+) -> (n\d+);", dot))
    assert edges == {(ids["features (InputLayer)"], ids["hidden (Dense)"]),
                     (ids["hidden (Dense)"], ids["out_a (Dense)"]),
                     (ids["hidden (Dense)"], ids["out_b (Dense)"])}
    assert "Output shape: (None, 8)" in labels[ids["hidden (Dense)"]]
    assert "Activation: relu" in labels[ids["hidden (Dense)"]]
    seq = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2, name="a"),
                            keras.layers.Dense(1, name="b")])
    dot = keras.utils.model_to_dot(seq, show_layer_names=False)
    assert dot.count("->") == 2 and 'label="Dense"' in dot


def test_plot_model_writes_dot_and_renders_or_explains(tmp_path, monkeypatch):
    model = _functional()
    keras.utils.plot_model(model, to_file=str(tmp_path / "m.dot"), show_shapes=True)
    assert (tmp_path / "m.dot").read_text().startswith("digraph model {")
    # no Graphviz: the DOT text is written next to the requested file, with a clear warning
    monkeypatch.setattr(kutils.shutil, "which", lambda name: None)
    with pytest.warns(UserWarning, match="Graphviz's `dot` program was not found"):
        keras.utils.plot_model(model, to_file=str(tmp_path / "out" / "model.png"))
    assert not (tmp_path / "out" / "model.png").exists()
    assert (tmp_path / "out" / "model.dot").read_text().startswith("digraph")
    # with a `dot` program, it is called to render the requested format
    fake = tmp_path / "dot"
    fake.write_text("#!/bin/sh\n# fake dot: record the arguments, copy stdin to -o\n"
                    'echo "$@" > "$(dirname "$0")/args"\ncat > "$3"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(kutils.shutil, "which", lambda name: str(fake))
    keras.utils.plot_model(model, to_file=str(tmp_path / "model.svg"))
    assert (tmp_path / "args").read_text().split() == ["-Tsvg", "-o",
                                                       str(tmp_path / "model.svg")]
    assert (tmp_path / "model.svg").read_text().startswith("digraph")
    with pytest.raises(ValueError, match="extension"):
        keras.utils.plot_model(model, to_file=str(tmp_path / "model"))
    assert os.path.exists(tmp_path / "model.svg")
