"""dtype and device conversion; the GPU rows run only where CuPy sees a GPU."""

import numpy as np
import pytest

import lightgrad
from tests.helpers import OpCase, case_id, check_case

pytestmark = pytest.mark.torch

needs_gpu = pytest.mark.skipif(not lightgrad.cuda.is_available(),
                               reason="needs CuPy and a CUDA GPU")

GPU_CASES = [
    OpCase("to_cuda_and_back", lambda lib, x: x.to("cuda").exp().cpu() * 2,
           lambda r: [r.standard_normal((3, 4))], torch_fn=lambda lib, x: x.exp() * 2,
           covers=("ToDevice",)),
]


@needs_gpu
@pytest.mark.gpu
@pytest.mark.parametrize("case", GPU_CASES, ids=case_id)
def test_gpu_parity(case, rng):
    check_case(case, rng)


def test_to_same_dtype_and_device_returns_self():
    x = lightgrad.ones(3)
    assert x.to(lightgrad.float32) is x
    assert x.to("cpu") is x
    assert x.to("cpu", copy=True) is not x


def test_to_forms():
    x = lightgrad.ones(2, 2)
    assert x.to(lightgrad.float64).dtype == lightgrad.float64
    assert x.to("cpu", lightgrad.int64).dtype == lightgrad.int64
    assert x.to(dtype=lightgrad.int32).dtype == lightgrad.int32
    assert x.to(lightgrad.tensor([1], dtype=lightgrad.float64)).dtype == lightgrad.float64
    assert x.type(lightgrad.int64).dtype == lightgrad.int64
    assert x.type() == "lightgrad.float32"


def test_to_cuda_without_gpu_is_a_clear_error():
    if lightgrad.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        lightgrad.ones(2).to("cuda")


def test_cast_gradient_flows_back_in_source_dtype():
    x = lightgrad.tensor([1.0, 2.0], requires_grad=True)
    (x.double() * 3).sum().backward()
    assert x.grad.dtype == lightgrad.float32
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
