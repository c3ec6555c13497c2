"""Tests of ``lightgrad/backend_kernels.py``: the two-thread helper ``host_pair``."""

from __future__ import annotations

import os
import threading

import pytest

from lightgrad import backend_kernels as bk

bk.host_pair_ok()  # looks NumPy's OpenBLAS up
needs_blas = pytest.mark.skipif(not bk._blas_api, reason="NumPy's OpenBLAS not found")


@pytest.fixture
def blas2():
    """NumPy's BLAS at 2 threads for the test (restored after)."""
    get, set_ = bk._blas_api[:2]
    n = get()
    set_(2)
    yield
    set_(n)


@needs_blas
def test_host_pair_runs_both_halves_on_two_threads_at_one_blas_thread(blas2):
    seen = {}

    def half(k):
        seen[k] = (threading.get_ident(), bk._blas_api[0]())

    assert bk.host_pair_ok()
    bk.host_pair(lambda: half(0), lambda: half(1))
    assert seen[0][0] == threading.get_ident() != seen[1][0]
    assert seen[0][1] == seen[1][1] == 1  # BLAS at one thread inside
    assert bk._blas_api[0]() == 2  # and the caller's count restored


@needs_blas
@pytest.mark.parametrize("which", [0, 1])
def test_host_pair_raises_after_both_halves_and_restores_blas(blas2, which):
    done = []

    def fail():
        raise ValueError(f"half {which} failed")

    def ok():
        done.append(True)

    halves = (fail, ok) if which == 0 else (ok, fail)
    with pytest.raises(ValueError, match=f"half {which} failed"):
        bk.host_pair(*halves)
    assert done == [True]
    assert bk._blas_api[0]() == 2
    bk.host_pair(ok, ok)  # the helper thread still serves
    assert done == [True] * 3


@needs_blas
def test_host_pair_is_serial_when_blas_is_limited_to_one_thread():
    get, set_ = bk._blas_api[:2]
    n = get()
    set_(1)
    try:
        assert not bk.host_pair_ok()
        idents = []
        bk.host_pair(lambda: idents.append(threading.get_ident()),
                     lambda: idents.append(threading.get_ident()))
        assert idents == [threading.get_ident()] * 2
        assert get() == 1
    finally:
        set_(n)


@needs_blas
def test_host_pair_serial_while_another_thread_holds_it(blas2):
    """A second caller does not wait for the helper thread: it runs its halves itself."""
    inner = []

    def outer_first():
        bk.host_pair(lambda: inner.append(threading.get_ident()),
                     lambda: inner.append(threading.get_ident()))

    bk.host_pair(outer_first, lambda: None)
    assert inner == [threading.get_ident()] * 2


@needs_blas
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_host_pair_works_in_a_forked_child(blas2):
    bk.host_pair(lambda: None, lambda: None)  # the parent's helper thread exists
    pid = os.fork()
    if pid == 0:  # child: a fresh helper thread is started; exit code 0 when both ran
        code = 1
        try:
            out = []
            bk.host_pair(lambda: out.append(0), lambda: out.append(1))
            code = 0 if sorted(out) == [0, 1] else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


@needs_blas
def test_blas_threads_work_again_after_host_pair(blas2):
    """``host_pair`` stops OpenBLAS's idle threads; the next threaded product restarts them
    and gives the same result."""
    import numpy as np

    a = np.random.default_rng(0).standard_normal((300, 300))
    before = a @ a
    bk.host_pair(lambda: a[:150] @ a, lambda: a[150:] @ a)
    np.testing.assert_array_equal(a @ a, before)
    assert bk._blas_api[0]() == 2
