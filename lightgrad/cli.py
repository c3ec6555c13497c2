"""The ``lightgrad`` command.

    lightgrad examples                 run every example in examples/, one summary line each
    lightgrad examples perceptron svm  run the named examples
    lightgrad examples --list          list the examples
    lightgrad playground               the web playground on http://127.0.0.1:<free port>/
    lightgrad playground --open --port 8000
    lightgrad --version

An example is a script ``examples/<name>.py`` with a ``main()`` that trains something, asserts it
converged and returns its metrics as a dict. The examples run in this process (no subprocess per
script); the exit status is non-zero if any of them fails. The folder is found next to the
package (``<repo>/examples``, which is where an editable install such as ``make run``'s points),
or given with ``--dir``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import importlib.util
import io
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import lightgrad

#: The course's order (single neurons first, then networks, the Keras workflow, convolutional
#: then sequence models); other examples follow by name.
EXAMPLE_ORDER = ("gradient_descent", "perceptron", "linear_regression", "logistic_regression",
                 "svm", "xor_mlp", "xor_nn", "spiral", "digits_mlp",
                 "keras_mlp", "keras_mnist_cnn", "keras_rnn",
                 "lenet5_mnist", "lenet5_fashion", "feature_maps", "augmentation",
                 "resnet_fashion", "segnet_shapes",
                 "vanishing_gradients", "word_reversal", "word_reversal_attention", "spam_lstm",
                 "tweets_bigru", "sunspots_lstm", "char_lm", "transformer_classifier")


def examples_dir(directory: str | Path | None = None) -> Path:
    """The examples folder: ``directory`` if given, else ``<repo>/examples`` beside the package.

    Raises:
        FileNotFoundError: the folder does not exist (e.g. lightgrad was installed from a wheel,
            which does not ship the examples).
    """
    if directory is not None:
        path = Path(directory)
    else:
        path = Path(lightgrad.__file__).resolve().parent.parent / "examples"
    if not path.is_dir():
        raise FileNotFoundError(
            f"examples folder not found at {path}: the examples live in the source checkout "
            "(install with `pip install -e .` from the repository, as `make run` does) or pass "
            "--dir PATH")
    return path


def available_examples(directory: str | Path | None = None) -> list[str]:
    """Names of the example scripts (``examples/<name>.py``), in the course's order."""
    names = {p.stem for p in examples_dir(directory).glob("*.py") if not p.stem.startswith("_")}
    known = [n for n in EXAMPLE_ORDER if n in names]
    return known + sorted(names - set(known))


def load_example(name: str, directory: str | Path | None = None) -> ModuleType:
    """Import ``examples/<name>.py`` as a module (freshly, each call) and check it has ``main``."""
    path = examples_dir(directory) / f"{name}.py"
    if not path.is_file():
        raise FileNotFoundError(f"no example named {name!r} in {path.parent} (available: "
                                f"{', '.join(available_examples(directory))})")
    module_name = f"_lightgrad_example_{name}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses, pickle... look the module up by name
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    if not callable(getattr(module, "main", None)):
        raise AttributeError(f"example {name!r} ({path}) has no main() function")
    return module


@dataclasses.dataclass
class ExampleResult:
    """The outcome of one example run."""

    name: str
    ok: bool
    seconds: float
    metrics: dict = dataclasses.field(default_factory=dict)
    output: str = ""
    error: str = ""


def run_example(name: str, directory: str | Path | None = None,
                echo: bool = False) -> ExampleResult:
    """Load and run one example's ``main()``; its printed output is captured (and echoed live
    too when ``echo``). A raised exception (a failed convergence assert included) is a failure."""
    buf = io.StringIO()
    out: Any = _Tee(buf, sys.stdout) if echo else buf
    start = time.perf_counter()
    try:
        with contextlib.redirect_stdout(out):
            metrics = load_example(name, directory).main()
        if not isinstance(metrics, dict):
            raise TypeError(f"example {name!r}: main() returned {type(metrics).__name__}, "
                            "expected a dict of metrics")
    except Exception as e:  # report it and go on with the next example
        tb = traceback.format_exc()
        return ExampleResult(name, False, time.perf_counter() - start, output=buf.getvalue(),
                             error=f"{type(e).__name__}: {e}\n{tb}")
    return ExampleResult(name, True, time.perf_counter() - start, metrics, buf.getvalue())


class _Tee(io.TextIOBase):
    def __init__(self, *streams: Any) -> None:
        self._streams = streams

    def write(self, s: str) -> int:
        for st in self._streams:
            st.write(s)
        return len(s)

    def flush(self) -> None:
        for st in self._streams:
            st.flush()


def format_metrics(metrics: dict) -> str:
    """``{"accuracy": 1.0, "epochs": 3}`` -> ``accuracy=1 epochs=3``: floats to 4 digits,
    sequences longer than 6 as their first and last values and their length (a training
    history stays one short line).

    >>> format_metrics({"accuracy": 0.98765, "history": {"loss": [1.0, 0.5, 0.25, 0.2, 0.1,
    ...                 0.05, 0.01]}})
    'accuracy=0.9877 history={loss: [1, 0.5, ..., 0.05, 0.01] (7)}'
    """
    def fmt(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.4g}"
        if isinstance(v, list | tuple):
            if len(v) > 6:
                return (f"[{fmt(v[0])}, {fmt(v[1])}, ..., {fmt(v[-2])}, {fmt(v[-1])}] "
                        f"({len(v)})")
            return "[" + ", ".join(fmt(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k}: {fmt(x)}" for k, x in v.items()) + "}"
        return str(v)

    return " ".join(f"{k}={fmt(v)}" for k, v in metrics.items())


def _cmd_examples(args: argparse.Namespace) -> int:
    try:
        names = available_examples(args.dir)
    except FileNotFoundError as e:
        print(f"lightgrad examples: {e}", file=sys.stderr)
        return 2
    if args.list:
        print("\n".join(names))
        return 0
    unknown = [n for n in args.names if n not in names]
    if unknown:
        print(f"lightgrad examples: unknown example(s) {', '.join(unknown)}; available: "
              f"{', '.join(names)}", file=sys.stderr)
        return 2
    selected = args.names or names
    width = max(len(n) for n in selected)
    results = []
    for name in selected:
        if args.verbose:
            print(f"--- {name}", flush=True)
        r = run_example(name, args.dir, echo=args.verbose)
        results.append(r)
        if r.ok:
            print(f"  ok  {name:<{width}}  {r.seconds:6.2f} s  {format_metrics(r.metrics)}",
                  flush=True)
        else:
            print(f"FAIL  {name:<{width}}  {r.seconds:6.2f} s  {r.error.splitlines()[0]}",
                  flush=True)
            if not args.verbose and r.output:
                print(r.output.rstrip())
            print(r.error.rstrip(), file=sys.stderr)
    failed = [r.name for r in results if not r.ok]
    total = sum(r.seconds for r in results)
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed in {total:.2f} s"
          + (f" (failed: {', '.join(failed)})" if failed else ""))
    return 1 if failed else 0


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 0 to 65535, got {text!r}")
    return port


def _cmd_playground(args: argparse.Namespace) -> int:
    try:
        from lightgrad.playground.server import PlaygroundServer
    except ImportError as e:
        print(f"lightgrad playground: needs the playground extra ({e.name} is missing): "
              "pip install 'lightgrad[playground]'", file=sys.stderr)
        return 2
    try:
        server = PlaygroundServer(args.host, args.port)
    except OSError as e:
        print(f"lightgrad playground: cannot listen on {args.host}:{args.port}: {e}",
              file=sys.stderr)
        return 2
    print(f"lightgrad playground: {server.url}  (Ctrl+C to stop)", flush=True)
    if args.open:
        import webbrowser

        threading.Timer(0.5, webbrowser.open, args=(server.url,)).start()
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lightgrad", description="lightgrad: a deep learning library from first principles.")
    parser.add_argument("--version", action="version", version=f"lightgrad {lightgrad.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    ex = sub.add_parser("examples", help="run the course examples and report their metrics",
                        description="Run the examples (all, or the named ones) in this process; "
                                    "each asserts it converged. Exit status 1 if any fails.")
    ex.add_argument("names", nargs="*", metavar="NAME", help="examples to run (default: all)")
    ex.add_argument("--list", action="store_true", help="list the examples and exit")
    ex.add_argument("-v", "--verbose", action="store_true",
                    help="show each example's own output as it runs")
    ex.add_argument("--dir", default=None, help="the examples folder (default: <repo>/examples)")
    ex.set_defaults(func=_cmd_examples)
    pg = sub.add_parser("playground", help="the web playground: build, train and watch a network",
                        description="Serve the lightgrad playground, a local web page where a "
                                    "network trains in lightgrad while you watch. It listens on "
                                    "127.0.0.1 only, unless --host says otherwise.")
    pg.add_argument("--host", default="127.0.0.1",
                    help="address to listen on (default 127.0.0.1; any other address is reachable "
                         "from other machines and prints a warning)")
    pg.add_argument("--port", type=_port, default=0,
                    help="port to listen on (default 0: a free one)")
    browser = pg.add_mutually_exclusive_group()
    browser.add_argument("--open", dest="open", action="store_true",
                         help="open the page in the default web browser")
    browser.add_argument("--no-browser", dest="open", action="store_false",
                         help="only print the URL (the default)")
    pg.set_defaults(func=_cmd_playground, open=False)
    from . import commands  # train, evaluate, predict, summary

    commands.add_subparsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lightgrad`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
