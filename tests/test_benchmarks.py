"""The benchmark suite (``benchmarks/``, ``make bench``): both sides of every workload do the same
work, and the runner writes valid results. No timing is asserted (TESTING.md: performance is not
a test).

Parity: each workload's lightgrad and PyTorch sides start from the same weights and data, compute
the same loss and gradients at the first step and hold the same parameters after it. Dropout is
set to p = 0 there, since the two frameworks cannot draw the same masks.
"""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from benchmarks import memory, report, suite, workloads  # noqa: E402

pytestmark = pytest.mark.torch
ROOT = Path(__file__).resolve().parent.parent
TRAINING = [n for n, w in workloads.WORKLOADS.items() if w.training]
INFERENCE = [n for n, w in workloads.WORKLOADS.items() if not w.training]


def close(a, b, rtol, atol, what):
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=what)


@pytest.mark.parametrize("name", TRAINING)
def test_training_step_parity(name):
    w = workloads.get(name)
    lg, th = workloads.build_pair(name, dropout=False)
    p0_lg, p0_th = lg.parameters(), th.parameters()
    assert list(p0_lg) == list(p0_th), "parameter names differ"
    for k in p0_lg:
        assert p0_lg[k].dtype == np.float32, f"{name}: {k} is {p0_lg[k].dtype}"
        np.testing.assert_array_equal(p0_lg[k], p0_th[k], err_msg=f"{name}: initial {k}")
    loss_lg, loss_th = lg.step(0), th.step(0)
    assert loss_lg.dtype == np.float32
    close(loss_lg.item(), loss_th.item(), 1e-4, 1e-5, f"{name}: loss")
    g_lg, g_th = lg.gradients(), th.gradients()
    assert list(g_lg) == list(p0_lg), f"{name}: a parameter got no gradient"
    for k in g_lg:  # tolerance: the float32 backward row of TESTING.md
        close(g_lg[k], g_th[k], 1e-4, 1e-5, f"{name}: gradient of {k}")
    p1_lg, p1_th = lg.parameters(), th.parameters()
    opt, lr = w.optimizer
    # SGD: the optimizer-trajectory row. Adam's first update is lr * g / (|g| + eps), which turns
    # float32 rounding in gradients near zero (|g| ~ eps, checked above) into update differences
    # of a fraction of lr; a wrong or missing update is off by about lr, ten times this bound.
    rtol, atol = (1e-5, 1e-6) if opt == "SGD" else (0.0, lr / 10)
    for k in p1_lg:
        close(p1_lg[k], p1_th[k], rtol, atol, f"{name}: {k} after one {opt} step")
    moved = max(float(np.abs(p1_lg[k] - p0_lg[k]).max()) for k in p1_lg)
    assert moved > lr / 100, f"{name}: the optimizer step did not change the parameters"
    # the next step reads the next of the 4 batches
    close(lg.step(1).item(), th.step(1).item(), 1e-3, 1e-4, f"{name}: loss at step 2")


@pytest.mark.parametrize("name", INFERENCE)
def test_inference_parity(name):
    w = workloads.get(name)
    lg, th = workloads.build_pair(name)
    assert not lg.model.training and not th.model.training
    out_lg, out_th = lg.step(0), th.step(0)
    assert tuple(out_lg.shape) == (w.batch, 10)
    assert not out_lg.requires_grad and not out_th.requires_grad
    close(out_lg.numpy(), out_th.numpy(), 1e-4, 1e-5, f"{name}: output")


def test_batches_are_seeded_rotated_and_scaled():
    w = workloads.get("gru_seq2seq")
    a, b = workloads.make_batches(w), workloads.make_batches(w)
    assert len(a) == workloads.N_BATCHES
    for x, y in zip(a, b):
        for u, v in zip(x, y):
            np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[0][0], a[1][0]), "the four batches must differ"
    src, tgt_in, target = a[0]
    assert src.shape == (64, 12) and target.shape == (64 * 12,)
    np.testing.assert_array_equal(target.reshape(64, 12), src[:, ::-1])
    np.testing.assert_array_equal(tgt_in[:, 1:], src[:, ::-1][:, :-1])  # teacher forcing
    x, _ = workloads.make_batches(workloads.get("cnn_mnist"), batch_scale=2)[0]
    assert x.shape == (256, 1, 28, 28) and x.dtype == np.float32
    with pytest.raises(ValueError, match="batch_scale"):
        workloads.make_batches(w, batch_scale=0)


def test_architectures_as_specified():
    lg = workloads.build("cnn_mnist", "lightgrad")
    drops = [m.p for m in lg.model.modules() if type(m).__name__ == "Dropout"]
    assert drops == [0.25, 0.5]
    n_params = {name: sum(p.numel() for p in workloads.build(name, "lightgrad").model.parameters())
                for name in ("mlp_small", "mlp_wide", "lenet5", "lstm_classify", "gru_seq2seq",
                             "rnn_tanh_timeseries")}
    assert n_params == {
        "mlp_small": 64 * 128 + 128 + 128 * 10 + 10,
        "mlp_wide": 784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10,
        "lenet5": (6 * 25 + 6) + (16 * 6 * 25 + 16) + (400 * 120 + 120) + (120 * 84 + 84)
        + (84 * 10 + 10),
        "lstm_classify": 5000 * 64 + 4 * 128 * (64 + 128 + 2) + 128 * 2 + 2,
        "gru_seq2seq": 28 * 32 + 2 * 3 * 128 * (32 + 128 + 2) + 128 * 28 + 28,
        "rnn_tanh_timeseries": 32 * (1 + 32 + 2) + 32 + 1,
    }


def test_unknown_names_are_rejected():
    with pytest.raises(KeyError, match="unknown workload 'mlp_huge'; known: mlp_small"):
        workloads.get("mlp_huge")
    with pytest.raises(ValueError, match="unknown framework 'jax'"):
        workloads.build("mlp_small", "jax")
    with pytest.raises(SystemExit):
        suite.parse_args(["mlp_huge"])
    with pytest.raises(SystemExit):
        suite.parse_args(["--threads", "0"])


@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present")
def test_cuda_mode_without_gpu_fails_clearly(tmp_path):
    a = suite.parse_args(["mlp_small", "--device", "cuda", "--jsonl", str(tmp_path / "r.jsonl"),
                          "--markdown", ""])
    with pytest.raises(RuntimeError, match="--device cuda: lightgrad cannot use a GPU"):
        suite.run(a)
    with pytest.raises(RuntimeError, match="--device cuda: torch cannot use a GPU"):
        workloads.check_device("torch", "cuda")
    assert not (tmp_path / "r.jsonl").exists()


def tiny(*extra):
    return ["--quick", "--block-seconds", "0.005", "--pairs", "2", "--warmup-seconds", "0.005",
            "--no-memory", "--no-import", "--threads", "1", *extra]


def test_runner_tiny_mode_writes_json_lines_and_markdown(tmp_path):
    jl, md = tmp_path / "results.jsonl", tmp_path / "BENCH.md"
    out = ["--jsonl", str(jl), "--markdown", str(md)]
    recs = suite.main(["mlp_small", "inference_mlp_b1", *tiny(*out)])
    lines = jl.read_text().splitlines()
    assert len(lines) == 3
    parsed = [json.loads(line) for line in lines]
    assert parsed == json.loads(json.dumps(recs))
    assert [r["kind"] for r in parsed] == ["machine", "speed", "speed"]
    assert parsed[0]["machine"]["NumPy"].endswith("1 threads")
    assert parsed[0]["machine"]["PyTorch"].endswith("1 threads")
    for r, name in zip(parsed[1:], ["mlp_small", "inference_mlp_b1"]):
        assert r["workload"] == name and r["section"] == "cpu" and r["pairs"] == 2
        ratios = [a / b for a, b in zip(r["lightgrad_blocks_ms"], r["torch_blocks_ms"])]
        assert r["ratio"] == pytest.approx(float(np.median(ratios)))
        assert r["ratio_min"] == pytest.approx(min(ratios))
        assert r["ratio_max"] == pytest.approx(max(ratios))
        assert r["lightgrad_ms"] > 0 and r["torch_ms"] > 0
        assert r["pass"] == (r["ratio"] <= r["target"])
    text = md.read_text()
    assert "## cpu" in text and "| `mlp_small` |" in text and "quick mode" in text
    assert "| `inference_mlp_b1` |" in text
    # a run of another section (batch scale 2) keeps this one; a new cpu run replaces it
    suite.main(["rnn_tanh_timeseries", *tiny("--batch-scale", "2", *out)])
    sections = [r["section"] for r in report.read_jsonl(jl)]
    assert sections == ["cpu"] * 3 + ["cpu x2"] * 2
    suite.main(["mlp_small", *tiny(*out)])
    sections = [r["section"] for r in report.read_jsonl(jl)]
    assert sections == ["cpu x2"] * 2 + ["cpu"] * 2
    text = md.read_text()
    assert text.index("## cpu\n") < text.index("## cpu x2") and "inference_mlp_b1" not in text


def test_report_rejects_bad_lines(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_text('{"kind": "speed", "section": "cpu"}\nnot json\n')
    with pytest.raises(ValueError, match="bad.jsonl:2: not JSON"):
        report.read_jsonl(p)
    p.write_text('{"kind": "weather"}\n')
    with pytest.raises(ValueError, match="bad.jsonl:1: expected an object with kind"):
        report.read_jsonl(p)


def test_memory_child_reports_its_own_peak():
    # the parent (this test process) holds torch, well above 200 MiB: a lightgrad child that
    # reported the inherited ru_maxrss would show it
    p = subprocess.run([sys.executable, "-m", "benchmarks.memory", "mlp_wide", "lightgrad",
                        "--steps", "2", "--threads", "1"], cwd=ROOT, text=True,
                       capture_output=True, timeout=120)
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout.strip().splitlines()[-1])
    assert r["workload"] == "mlp_wide" and r["framework"] == "lightgrad" and r["steps"] == 2
    assert r["import_mb"] < 150, r  # lightgrad + NumPy, no torch
    # weights, Adam's two moments and the gradients: 4 x 0.67 M float32 parameters >= 10 MiB
    assert r["run_mb"] >= 10 and r["peak_mb"] == pytest.approx(r["import_mb"] + r["run_mb"],
                                                                 abs=0.2)
    assert memory.peak_rss_mb() > r["import_mb"]


def test_import_is_timed_from_compiled_bytecode(tmp_path: Path) -> None:
    """``import lightgrad`` is measured as an installed package runs it, from bytecode (pip
    compiles it at install, as it did torch's): compile_bytecode leaves a current ``.pyc``
    for every module, which Python then loads instead of compiling the source."""
    import importlib.util

    import lightgrad

    suite.compile_bytecode()
    pkg = Path(lightgrad.__file__).parent
    sources = sorted(pkg.rglob("*.py"))
    assert len(sources) > 50
    for src in sources:
        pyc = Path(importlib.util.cache_from_source(str(src)))
        assert pyc.exists(), pyc
        assert pyc.stat().st_mtime >= src.stat().st_mtime, src


def test_ab_tool_alternates_both_settings_and_restores_the_attribute(capsys) -> None:
    """``python -m benchmarks.ab`` (the same-process A/B behind NOTES.md's figures) runs the
    workload under each value, reports both against PyTorch, and leaves the setting as it
    found it; an unknown attribute is a usage error."""
    import lightgrad.ops.conv as conv
    from benchmarks import ab

    before = conv._PAIR_ABOVE
    assert ab.main(["mlp_small", "lightgrad.ops.conv", "_PAIR_ABOVE", "0", "1<<40",
                    "--threads", "1", "--pairs", "1", "--block-seconds", "0.01"]) == 0
    out = capsys.readouterr().out
    assert "A = 0:" in out and "B = 1<<40:" in out and "/ torch" in out
    assert conv._PAIR_ABOVE == before
    with pytest.raises(SystemExit, match="no attribute"):
        ab.main(["mlp_small", "lightgrad.ops.conv", "_NO_SUCH", "0", "1"])
