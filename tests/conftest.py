import zlib

import numpy as np
import pytest

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # torch-marked tests skip through helpers.torch_or_skip
    torch = None


@pytest.fixture
def rng(request) -> np.random.Generator:
    """A NumPy generator seeded from the test's node id: every failure reproduces."""
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))


@pytest.fixture(autouse=True)
def _reset_lightgrad_state():
    import lightgrad

    lightgrad.manual_seed(0)
    yield
    assert lightgrad.is_grad_enabled(), "a test left grad mode disabled"
    assert lightgrad.get_default_dtype() == np.float32, "a test changed the default dtype"
