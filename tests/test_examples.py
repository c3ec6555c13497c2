"""The course examples reach their targets, and the ``lightgrad`` command runs them.

Each example asserts its own convergence; these tests check the metrics it returns against the
same targets independently, so an example that stopped asserting would still be caught.
"""

import subprocess
import sys
import textwrap

import pytest

import lightgrad
from lightgrad import cli

ROOT = cli.examples_dir().parent


def run(name: str) -> dict:
    return cli.load_example(name).main()


def test_the_course_examples_are_all_there():
    assert list(cli.EXAMPLE_ORDER) == cli.available_examples()[: len(cli.EXAMPLE_ORDER)]


def test_gradient_descent_reproduces_the_course_iterates():
    m = run("gradient_descent")
    # Exercise 5.1: x0 = 9, alpha = 0.1, f(x) = x^2
    assert m["x1"] == pytest.approx(7.2, abs=1e-12)
    assert m["x2"] == pytest.approx(5.76, abs=1e-12)
    assert m["x3"] == pytest.approx(4.608, abs=1e-12)
    assert abs(m["x_final"]) < 1e-6
    # each step multiplies x by 0.8: |x_t| < 1e-6 first at t = 72
    assert m["steps"] == 72


def test_gradient_descent_iterates_in_float32_too():
    # the same three steps with the default dtype, as a student would write them
    x = lightgrad.tensor(9.0, requires_grad=True)
    got = []
    for _ in range(3):
        (x**2).backward()
        with lightgrad.no_grad():
            x -= 0.1 * x.grad
        x.grad = None
        got.append(x.item())
    assert x.dtype == lightgrad.float32
    assert got == pytest.approx([7.2, 5.76, 4.608], rel=1e-6)


def test_perceptron_separates_the_training_data():
    m = run("perceptron")
    assert m["accuracy"] == 1.0
    assert 1 <= m["epochs"] < 100


def test_linear_regression_recovers_the_true_parameters():
    m = run("linear_regression")
    assert m["w_error"] < 0.01 and m["b_error"] < 0.01
    assert m["mse"] < 2e-4  # the noise variance is 1e-4


def test_logistic_regression_classifies_the_blobs():
    m = run("logistic_regression")
    assert m["accuracy"] > 0.9
    assert 0 < m["loss"] < 0.2


def test_svm_separates_with_a_margin():
    m = run("svm")
    assert m["accuracy"] == 1.0
    assert m["margin"] > 0.25  # the data was built with a margin of 0.5 on each side


def test_xor_mlp_gets_all_four_outputs_right():
    m = run("xor_mlp")
    assert m["correct"] == 4
    assert m["error"] < 0.05


def test_examples_run_as_scripts():
    r = subprocess.run([sys.executable, str(ROOT / "examples" / "gradient_descent.py")],
                       capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "x_3 = 4.608000" in r.stdout


# ----------------------------------------------------------------------------- the command
def test_cli_runs_named_examples(capsys):
    assert cli.main(["examples", "gradient_descent", "perceptron"]) == 0
    out = capsys.readouterr().out
    assert "ok  gradient_descent" in out and "x3=4.608" in out
    assert "ok  perceptron" in out and "accuracy=1" in out
    assert "2 passed, 0 failed" in out


@pytest.fixture
def fake_examples(tmp_path):
    (tmp_path / "good.py").write_text("def main():\n    return {'accuracy': 0.75}\n")
    (tmp_path / "diverges.py").write_text(textwrap.dedent("""\
        def main():
            print("loss nan")
            assert False, "did not converge"
    """))
    (tmp_path / "no_dict.py").write_text("def main():\n    return 3\n")
    (tmp_path / "_helper.py").write_text("X = 1\n")
    return tmp_path


def test_cli_exit_code_is_nonzero_when_an_example_fails(fake_examples, capsys):
    assert cli.main(["examples", "--dir", str(fake_examples)]) == 1
    out = capsys.readouterr().out
    assert "ok  good" in out and "accuracy=0.75" in out
    assert "FAIL  diverges" in out and "did not converge" in out
    assert "loss nan" in out  # a failing example's own output is shown
    assert "FAIL  no_dict" in out and "expected a dict" in out
    assert "1 passed, 2 failed" in out


def test_cli_lists_examples_and_skips_private_modules(fake_examples, capsys):
    assert cli.main(["examples", "--list", "--dir", str(fake_examples)]) == 0
    assert capsys.readouterr().out.split() == ["diverges", "good", "no_dict"]
    assert cli.main(["examples", "--list"]) == 0
    assert capsys.readouterr().out.split()[:len(cli.EXAMPLE_ORDER)] == list(cli.EXAMPLE_ORDER)


def test_cli_rejects_unknown_examples_and_missing_folders(tmp_path, capsys):
    assert cli.main(["examples", "no_such_example"]) == 2
    assert "unknown example(s) no_such_example" in capsys.readouterr().err
    assert cli.main(["examples", "--dir", str(tmp_path / "missing")]) == 2
    assert "examples folder not found" in capsys.readouterr().err
    assert cli.main([]) == 2


def test_cli_version(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"lightgrad {lightgrad.__version__}"


def test_python_dash_m_lightgrad_exit_codes(fake_examples):
    ok = subprocess.run([sys.executable, "-m", "lightgrad", "examples", "gradient_descent"],
                        capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert ok.returncode == 0, ok.stderr
    assert "1 passed, 0 failed" in ok.stdout
    cmd = [sys.executable, "-m", "lightgrad", "examples", "diverges", "--dir", str(fake_examples)]
    bad = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert bad.returncode == 1
    assert "AssertionError: did not converge" in bad.stderr


def test_readme_quickstart_runs_and_prints_what_it_says(capsys):
    import re

    text = (ROOT / "README.md").read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    exec(compile(code, "README.md", "exec"), {})
    grad_line, wb_line = capsys.readouterr().out.strip().splitlines()
    assert grad_line == "tensor([2., 4., 6.])"
    w, b = map(float, wb_line.split())
    assert w == pytest.approx(2.0, abs=1e-3) and b == pytest.approx(-1.0, abs=1e-3)
