"""The CNN examples run (tiny sizes, ``main(quick=True)``), learn something, return sane metrics
and draw their pictures; their models have the architectures the docstrings describe: a torch
network written from the description has the same state_dict keys, loads into ours, and gives
the same loss and gradients.

The full runs, which assert the targets (LeNet-5 >= 89 % on Fashion-MNIST, >= 97 % on the MNIST
digits, ResNet >= 88 %, augmentation lowering the validation loss and raising the validation
accuracy, mean IoU >= 0.8 on the shapes...), are ``make examples``; see each script.
"""

import math
import struct

import numpy as np
import pytest

import lightgrad
from lightgrad import cli
from lightgrad.datasets import DatasetNotFoundError, load_fashion_mnist, load_mnist

CNN_EXAMPLES = ("lenet5_fashion", "lenet5_mnist", "resnet_fashion", "augmentation",
                "segnet_shapes", "feature_maps")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def load(name):
    return cli.load_example(name)


def needs(loader):
    try:
        loader(train=False)
    except DatasetNotFoundError as e:  # `make test` installs the data first (`make data`)
        pytest.skip(f"dataset not installed: {e}")


@pytest.fixture
def fashion():
    needs(load_fashion_mnist)


@pytest.fixture
def mnist():
    needs(load_mnist)


def check_png(path, min_bytes=10_000):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 300 and height > 300
    assert len(data) > min_bytes  # a real picture, not an empty canvas


def check_common(m, train, test, epochs=2, learned=0.25):
    """Sane metrics of a smoke run; it learned something (10 classes: chance is 0.1)."""
    assert learned < m["accuracy"] <= 1.0
    assert math.isfinite(m["loss"]) and 0 < m["loss"] < 2.5  # below ln(10) + a little
    assert m["train"] == train and m["test"] == test and m["epochs"] == epochs
    assert m["seconds"] > 0


def test_the_cnn_examples_are_listed():
    assert set(CNN_EXAMPLES) <= set(cli.available_examples())


def test_lenet5_fashion_quick(fashion):
    ex = load("lenet5_fashion")
    m = ex.main(quick=True)
    check_common(m, 1024, 512, learned=0.4)  # 58 % measured
    assert 0.0 <= m["train_accuracy"] <= 1.0


def test_lenet5_is_lecuns_architecture():
    ex = load("lenet5_fashion")
    model = ex.LeNet5()
    assert sum(p.numel() for p in model.parameters()) == 61_706
    x = lightgrad.randn(3, 1, 28, 28)
    assert model(x).shape == (3, 10)
    classic = ex.LeNet5(classic=True)
    classic.load_state_dict(model.state_dict())
    assert classic(x).shape == (3, 10)
    assert not np.allclose(classic(x).detach().numpy(), model(x).detach().numpy())


def _torch_lenet5(torch):
    """LeNet-5 as ``lenet5_fashion.LeNet5`` documents it, written with torch."""
    tnn, tF = torch.nn, torch.nn.functional

    class Reference(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv1, self.conv2 = tnn.Conv2d(1, 6, 5, padding=2), tnn.Conv2d(6, 16, 5)
            self.fc1, self.fc2, self.fc3 = (tnn.Linear(400, 120), tnn.Linear(120, 84),
                                            tnn.Linear(84, 10))

        def forward(self, x):
            x = tF.max_pool2d(tF.relu(self.conv1(x)), 2)
            x = tF.max_pool2d(tF.relu(self.conv2(x)), 2).flatten(1)
            return self.fc3(tF.relu(self.fc2(tF.relu(self.fc1(x)))))

    return Reference()


def _loss_and_grads(model, x, labels):
    """Cross-entropy of ``model`` on ``x`` (lightgrad) and the gradient of every parameter."""
    loss = lightgrad.nn.functional.cross_entropy(model(lightgrad.from_numpy(x)),
                                                 lightgrad.from_numpy(labels))
    loss.backward()
    return loss.item(), {k: p.grad.numpy() for k, p in model.named_parameters()}


def _torch_loss_and_grads(torch, model, x, labels):
    loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(labels))
    loss.backward()
    return loss.item(), {k: p.grad.numpy() for k, p in model.named_parameters()}


def _check_same(torch, ours, theirs, x, labels):
    loss, grads = _loss_and_grads(ours, x, labels)
    t_loss, t_grads = _torch_loss_and_grads(torch, theirs, x, labels)
    np.testing.assert_allclose(loss, t_loss, rtol=1e-5)
    assert grads.keys() == t_grads.keys()
    for name, g in grads.items():
        np.testing.assert_allclose(g, t_grads[name], rtol=1e-4, atol=1e-5, err_msg=name)


@pytest.mark.torch
def test_lenet5_loads_a_torch_state_dict_and_gives_pytorchs_logits_and_gradients(rng):
    """A torch LeNet-5's state_dict loads into the example's model, which then computes the
    same loss and parameter gradients; and our weights load into torch's network."""
    torch = pytest.importorskip("torch")
    ex = load("lenet5_fashion")
    x = rng.standard_normal((4, 1, 28, 28)).astype(np.float32)
    labels = np.array([0, 3, 9, 3])
    ref, model = _torch_lenet5(torch), ex.LeNet5()
    model.load_state_dict(ref.state_dict())  # torch -> lightgrad
    _check_same(torch, model, ref, x, labels)
    ours, ref = ex.LeNet5(), _torch_lenet5(torch)
    ref.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy())  # lightgrad -> torch
                         for k, v in ours.state_dict().items()})
    _check_same(torch, ours, ref, x, labels)


@pytest.mark.torch
def test_lenet5_mnist_is_torchs_sequential(rng):
    """The nn.Sequential LeNet-5 of lenet5_mnist.py: 61,706 parameters, the layer indices of
    the same torch nn.Sequential (its state_dict loads) and the same results."""
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    ref = tnn.Sequential(tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2),
                         tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Flatten(),
                         tnn.Linear(400, 120), tnn.ReLU(), tnn.Linear(120, 84), tnn.ReLU(),
                         tnn.Linear(84, 10))
    model = load("lenet5_mnist").build_lenet5()
    assert sum(p.numel() for p in model.parameters()) == 61_706
    model.load_state_dict(ref.state_dict())
    x = rng.standard_normal((3, 1, 28, 28)).astype(np.float32)
    _check_same(torch, model, ref, x, np.array([1, 7, 7]))


def test_lenet5_mnist_quick(mnist):
    m = load("lenet5_mnist").main(quick=True)
    check_common(m, 1024, 512, learned=0.4)  # 65 % measured


def test_resnet_quick_and_its_shape(fashion):
    ex = load("resnet_fashion")
    m = ex.main(quick=True)
    check_common(m, 512, 256)  # 44 % measured
    assert m["depth"] == 14  # stem + 2 convs in each of 6 blocks + the linear layer
    model = ex.ResNet()
    assert m["parameters"] == sum(p.numel() for p in model.parameters())
    downsampling = [b for b in model.stages if not isinstance(b.shortcut, lightgrad.nn.Identity)]
    assert len(downsampling) == 2  # the first block of stages 2 and 3: 1x1 strided conv + BN
    conv, bn = downsampling[0].shortcut
    assert conv.kernel_size == (1, 1) and conv.stride == (2, 2)
    assert isinstance(bn, lightgrad.nn.BatchNorm2d)
    assert model(lightgrad.randn(2, 1, 28, 28)).shape == (2, 10)


def test_resnet_block_is_a_residual():
    """With the residual branch's last batch norm scaled to zero, a block is relu(shortcut)."""
    ex = load("resnet_fashion")
    block = ex.BasicBlock(4, 4)
    with lightgrad.no_grad():
        block.bn2.weight.zero_()
    x = lightgrad.randn(2, 4, 6, 6)
    np.testing.assert_allclose(block(x).detach().numpy(), np.maximum(x.numpy(), 0), atol=1e-6)


def _torch_resnet(torch, widths=(16, 32, 64), blocks=2):
    """The ResNet of resnet_fashion.py written with torch, with the same parameter names."""
    tnn, tF = torch.nn, torch.nn.functional

    class Block(tnn.Module):
        def __init__(self, c_in, c_out, stride):
            super().__init__()
            self.conv1 = tnn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
            self.bn1 = tnn.BatchNorm2d(c_out)
            self.conv2 = tnn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
            self.bn2 = tnn.BatchNorm2d(c_out)
            self.shortcut = (tnn.Sequential(tnn.Conv2d(c_in, c_out, 1, stride=stride, bias=False),
                                            tnn.BatchNorm2d(c_out))
                             if stride != 1 or c_in != c_out else tnn.Identity())

        def forward(self, x):
            out = self.bn2(self.conv2(tF.relu(self.bn1(self.conv1(x)))))
            return tF.relu(out + self.shortcut(x))

    class Reference(tnn.Module):
        def __init__(self):
            super().__init__()
            self.stem = tnn.Sequential(tnn.Conv2d(1, widths[0], 3, padding=1, bias=False),
                                       tnn.BatchNorm2d(widths[0]), tnn.ReLU(), tnn.MaxPool2d(2))
            layers, c = [], widths[0]
            for stage, w in enumerate(widths):
                for b in range(blocks):
                    layers.append(Block(c, w, 2 if stage > 0 and b == 0 else 1))
                    c = w
            self.stages = tnn.Sequential(*layers)
            self.pool = tnn.AdaptiveAvgPool2d(1)
            self.fc = tnn.Linear(c, 10)

        def forward(self, x):
            return self.fc(self.pool(self.stages(self.stem(x))).flatten(1))

    return Reference()


@pytest.mark.torch
def test_resnet_is_the_torch_network(rng):
    """A torch ResNet of the documented architecture: its state_dict (batch-norm buffers
    included) loads, and the loss and gradients match in training mode (batch statistics), the
    logits in eval mode (running statistics)."""
    torch = pytest.importorskip("torch")
    ref, model = _torch_resnet(torch), load("resnet_fashion").ResNet()
    model.load_state_dict(ref.state_dict())
    x = rng.standard_normal((4, 1, 28, 28)).astype(np.float32)
    _check_same(torch, model, ref, x, np.array([2, 0, 9, 4]))
    model.eval()
    ref.eval()
    with lightgrad.no_grad(), torch.no_grad():
        np.testing.assert_allclose(model(lightgrad.from_numpy(x)).numpy(),
                                   ref(torch.from_numpy(x)).numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.torch
def test_segnet_is_the_torch_network(rng):
    """The SegNet written with torch (max_pool2d with return_indices, max_unpool2d): the
    state_dict loads and the per-pixel loss and all gradients match."""
    torch = pytest.importorskip("torch")
    tnn, tF = torch.nn, torch.nn.functional

    def stage(c_in, c_out):
        return tnn.Sequential(tnn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
                              tnn.BatchNorm2d(c_out), tnn.ReLU())

    class Reference(tnn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = tnn.ModuleList([stage(1, 16), stage(16, 32), stage(32, 64)])
            self.decoder = tnn.ModuleList([stage(64, 32), stage(32, 16), stage(16, 16)])
            self.classifier = tnn.Conv2d(16, 4, 1)

        def forward(self, x):
            indices = []
            for s in self.encoder:
                x, i = tF.max_pool2d(s(x), 2, return_indices=True)
                indices.append(i)
            for s, i in zip(self.decoder, reversed(indices)):
                x = s(tF.max_unpool2d(x, i, 2))
            return self.classifier(x)

    ref, model = Reference(), load("segnet_shapes").SegNet()
    model.load_state_dict(ref.state_dict())
    x = rng.standard_normal((2, 1, 32, 32)).astype(np.float32)
    masks = rng.integers(0, 4, size=(2, 32, 32))
    _check_same(torch, model, ref, x, masks)


def test_augmentation_quick_draws_its_curves(mnist, tmp_path):
    m = load("augmentation").main(quick=True, out_dir=tmp_path)
    for key in ("gap_plain", "gap_augmented"):
        assert -1.0 <= m[key] <= 1.0
    for key in ("val_plain", "val_augmented", "train_plain", "train_augmented"):
        assert 0.25 < m[key] <= 1.0  # both runs learn (40-50 % measured after 8 steps)
    for key in ("val_loss_plain", "val_loss_augmented"):
        assert 0 < m[key] < math.log(10) + 0.1
    assert m["epochs"] == 2
    assert m["png"] == str(tmp_path / "augmentation.png")
    check_png(tmp_path / "augmentation.png")


def test_augmentation_runs_are_comparable():
    """Both runs start from the same weights and see the same batches; only the images differ."""
    ex = load("augmentation")
    a, b = ex.build_model(), ex.build_model()
    assert a.state_dict().keys() == b.state_dict().keys()
    x = lightgrad.rand(6, 1, 28, 28)
    out = ex.augmentation()(x)
    assert out.shape == x.shape and out.dtype == x.dtype
    assert not np.array_equal(out.numpy(), x.numpy())


def test_segnet_quick_draws_its_predictions(tmp_path):
    m = load("segnet_shapes").main(quick=True, out_dir=tmp_path)
    assert 0.0 <= m["mean_iou"] <= 1.0 and 0.0 <= m["pixel_accuracy"] <= 1.0
    assert m["epochs"] == 3
    # an untrained net's loss is ln 4 = 1.39 (0.74 measured); background pixels are found
    assert math.isfinite(m["loss"]) and m["loss"] < 1.0 and m["iou_background"] > 0.5
    check_png(tmp_path / "segnet_shapes.png")


def test_segnet_unpools_with_the_pooling_indices():
    ex = load("segnet_shapes")
    model = ex.SegNet()
    x = lightgrad.randn(2, 1, 32, 32, requires_grad=True)
    out = model(x)
    assert out.shape == (2, 4, 32, 32)
    out.sum().backward()
    assert x.grad is not None and all(p.grad is not None for p in model.parameters())
    # each decoder stage unpools with the indices of the mirrored encoder stage
    calls = []
    orig = ex.F.max_unpool2d

    def spy(inp, indices, *args, **kw):
        calls.append(indices.shape)
        return orig(inp, indices, *args, **kw)

    ex.F.max_unpool2d = spy
    try:
        model(x)
    finally:
        ex.F.max_unpool2d = orig
    assert calls == [(2, 64, 4, 4), (2, 32, 8, 8), (2, 16, 16, 16)]


def test_iou_from_the_confusion_matrix():
    ex = load("segnet_shapes")
    target = np.array([[0, 0, 1, 1], [2, 2, 3, 3]])
    pred = np.array([[0, 1, 1, 1], [2, 3, 3, 0]])
    cm = ex.confusion_matrix(target.ravel(), pred.ravel(), 4)
    assert cm.tolist() == [[1, 1, 0, 0], [0, 2, 0, 0], [0, 0, 1, 1], [1, 0, 0, 1]]
    # class 0: 1 / (2 + 2 - 1); class 1: 2 / 3; class 2: 1 / 2; class 3: 1 / 3
    np.testing.assert_allclose(ex.iou_per_class(cm), [1 / 3, 2 / 3, 1 / 2, 1 / 3])
    assert np.isnan(ex.iou_per_class(ex.confusion_matrix(target.ravel(), pred.ravel(), 5))[4])


def test_feature_maps_quick_draws_filters_and_maps(fashion, tmp_path):
    m = load("feature_maps").main(quick=True, out_dir=tmp_path)
    assert 0.25 < m["accuracy"] <= 1.0  # 45 % measured after 8 steps
    assert m["conv1_maps"] == [6, 28, 28] and m["conv2_maps"] == [16, 10, 10]
    assert m["filter_change"] > 0  # the filters were trained
    assert 0.0 < m["active_fraction"] < 1.0  # ReLU maps: some positions fire, some don't
    check_png(tmp_path / "feature_maps.png", min_bytes=30_000)


def test_feature_map_hooks_catch_the_layer_outputs_and_go_away():
    ex = load("feature_maps")
    model = ex.LeNet5()
    x = lightgrad.randn(1, 1, 28, 28)
    maps = ex.capture(model, x, {"conv1": model.act1})
    expected = lightgrad.nn.functional.relu(model.conv1(x)).detach().numpy()[0]
    np.testing.assert_allclose(maps["conv1"], expected, rtol=1e-6)
    assert not model.act1._forward_hooks and model.training
