"""Hyperparameter search: grid search and random search over a model-building function.

A search calls ``build_fn(**hparams)`` (which returns a *compiled* keras model) for each trial,
trains it with ``fit`` and scores it on held-out data: a validation split (``validation_split``,
a seeded random split), explicit ``validation_data``, or k-fold cross-validation (``cv=k``, the
mean over the folds). Hyperparameters named like ``fit`` arguments (``epochs``, ``batch_size``,
``shuffle``, ``class_weight``) go to ``fit``; every other one goes to ``build_fn`` (learning rate,
layer sizes, dropout, regularization strength, activation...).

Every trial starts from the same seed (``lightgrad.manual_seed(seed)`` before building and
before training), so results are reproducible and do not depend on the order in which trials
run: ``n_jobs > 1`` runs trials in parallel processes with the same results as ``n_jobs=1``.

Example:
    >>> from lightgrad import keras, tune
    >>> from lightgrad.datasets import make_circle
    >>> X, y = make_circle(n=200, noise=0.1, seed=0)
    >>> def build(units=8, learning_rate=0.01):
    ...     model = keras.Sequential([keras.Input(shape=(2,)),
    ...                               keras.layers.Dense(units, activation="tanh"),
    ...                               keras.layers.Dense(1, activation="sigmoid")])
    ...     model.compile(keras.optimizers.Adam(learning_rate), "binary_crossentropy",
    ...                   metrics=["accuracy"])
    ...     return model
    >>> search = tune.GridSearch(build, {"units": [4, 8], "learning_rate": [0.01, 0.05],
    ...                                  "epochs": [5]}, scoring="val_accuracy", seed=0)
    >>> result = search.fit(X, y)
    >>> len(result.results), sorted(result.best_params)
    (4, ['epochs', 'learning_rate', 'units'])

Parallel trials (``n_jobs > 1``) run in fresh processes (the ``spawn`` start method, on every OS),
so ``build_fn`` must be importable there: a function defined at module level in an importable
module, or in a script whose search runs under ``if __name__ == "__main__":``. Lambdas, closures
and functions typed into an interactive session only work with ``n_jobs=1``.
"""

from __future__ import annotations

import concurrent.futures as cf
import inspect
import itertools
import math
import multiprocessing
import pickle
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

__all__ = ["GridSearch", "RandomSearch", "OptunaSearch", "SearchResult", "grid_search",
           "random_search", "choice", "uniform", "loguniform", "randint", "FIT_PARAMS"]

#: hyperparameters passed to ``fit`` rather than to ``build_fn``
FIT_PARAMS = frozenset({"epochs", "batch_size", "shuffle", "class_weight"})


# ============================================================================ distributions
class _Distribution:
    def sample(self, rng: np.random.Generator) -> Any:
        raise NotImplementedError


class choice(_Distribution):  # noqa: N801  (lower-case like the other samplers)
    """One of ``values``, uniformly."""

    def __init__(self, values: Iterable[Any]) -> None:
        self.values = list(values)
        if not self.values:
            raise ValueError("choice: needs at least one value")

    def sample(self, rng: np.random.Generator) -> Any:
        return self.values[int(rng.integers(len(self.values)))]

    def __repr__(self) -> str:
        return f"choice({self.values!r})"


class uniform(_Distribution):  # noqa: N801
    """A float uniformly in ``[low, high)``."""

    def __init__(self, low: float, high: float) -> None:
        if not low < high:
            raise ValueError(f"uniform: needs low < high, got {low}, {high}")
        self.low, self.high = float(low), float(high)

    def sample(self, rng: np.random.Generator) -> Any:
        return float(rng.uniform(self.low, self.high))

    def __repr__(self) -> str:
        return f"uniform({self.low}, {self.high})"


class loguniform(_Distribution):  # noqa: N801
    """A float whose logarithm is uniform in ``[log low, log high)`` (learning rates, L2)."""

    def __init__(self, low: float, high: float) -> None:
        if not 0 < low < high:
            raise ValueError(f"loguniform: needs 0 < low < high, got {low}, {high}")
        self.low, self.high = float(low), float(high)

    def sample(self, rng: np.random.Generator) -> Any:
        return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))

    def __repr__(self) -> str:
        return f"loguniform({self.low}, {self.high})"


class randint(_Distribution):  # noqa: N801
    """An integer uniformly in ``[low, high]`` (both included, like Optuna's
    ``suggest_int``)."""

    def __init__(self, low: int, high: int) -> None:
        if not low <= high:
            raise ValueError(f"randint: needs low <= high, got {low}, {high}")
        self.low, self.high = int(low), int(high)

    def sample(self, rng: np.random.Generator) -> Any:
        return int(rng.integers(self.low, self.high + 1))

    def __repr__(self) -> str:
        return f"randint({self.low}, {self.high})"


def _sample(spec: Any, rng: np.random.Generator) -> Any:
    if isinstance(spec, _Distribution):
        return spec.sample(rng)
    if isinstance(spec, list | tuple):
        if not spec:
            raise ValueError("RandomSearch: an empty list of values")
        return spec[int(rng.integers(len(spec)))]
    if hasattr(spec, "rvs"):  # a scipy.stats distribution
        value = spec.rvs(random_state=rng)
        return value.item() if hasattr(value, "item") else value
    return spec


# ============================================================================ results
class SearchResult:
    """The outcome of a search.

    Attributes:
        results: one dict per trial, in trial order: ``trial``, ``params``, ``score`` (mean over
            folds), ``std`` (over folds; 0 for a single split), ``fold_scores``, ``seconds``.
        best_index: the index of the best trial in ``results``.
        best_params: its hyperparameters.
        best_score: its score.
        best_model: the best configuration refit on all the data (``refit=True``), else
            ``None``.
        scoring: the score's name; ``mode``: ``"min"`` or ``"max"``.
    """

    def __init__(self, results: list[dict], scoring: str, mode: str,
                 best_model: Any = None) -> None:
        if not results:
            raise ValueError("SearchResult: no trials")
        self.results = results
        self.scoring = scoring
        self.mode = mode
        sign = 1.0 if mode == "min" else -1.0
        finite = [r for r in results if math.isfinite(r["score"])]
        pool = finite or results
        best = min(pool, key=lambda r: (sign * r["score"], r["trial"]))
        self.best_index = results.index(best)
        self.best_params = dict(best["params"])
        self.best_score = best["score"]
        self.best_model = best_model

    def ranked(self) -> list[dict]:
        """The trials, best first (non-finite scores last)."""
        sign = 1.0 if self.mode == "min" else -1.0
        return sorted(self.results, key=lambda r: (not math.isfinite(r["score"]),
                                                   sign * r["score"], r["trial"]))

    def table(self, top: int | None = None) -> str:
        """A text table of the trials, best first: rank, trial, each hyperparameter, the score
        (± its standard deviation over folds) and the training time."""
        rows = self.ranked()[:top]
        keys: list[str] = []
        for r in self.results:
            for k in r["params"]:
                if k not in keys:
                    keys.append(k)
        head = ["rank", "trial", *keys, self.scoring, "seconds"]
        body = []
        for rank, r in enumerate(rows, 1):
            score = _fmt(r["score"]) + (f" ± {_fmt(r['std'])}" if len(r["fold_scores"]) > 1
                                        else "")
            body.append([str(rank), str(r["trial"]),
                         *[_fmt(r["params"].get(k, "")) for k in keys], score,
                         f"{r['seconds']:.2f}"])
        widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
        line = "  ".join(h.rjust(w) for h, w in zip(head, widths))
        out = [line, "  ".join("-" * w for w in widths)]
        out += ["  ".join(c.rjust(w) for c, w in zip(b, widths)) for b in body]
        return "\n".join(out)

    def __repr__(self) -> str:
        return (f"SearchResult({len(self.results)} trials, best {self.scoring}="
                f"{_fmt(self.best_score)} with {self.best_params})")


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


# ============================================================================ trials
_WORKER: dict[str, Any] = {}


def _init_worker(payload: bytes) -> None:
    _WORKER.update(pickle.loads(payload))


def _score_key(scoring: str) -> str:
    return scoring[4:] if scoring.startswith("val_") else scoring


def _run_trial(trial: int, params: dict, job: dict | None = None) -> dict:
    """Build, train and score one configuration on every split (in this process)."""
    import lightgrad

    job = job if job is not None else _WORKER
    x, y, splits = job["x"], job["y"], job["splits"]
    build_fn, scoring, seed = job["build_fn"], job["scoring"], job["seed"]
    fit_kwargs = dict(job["fit_kwargs"])
    fit_kwargs.pop("verbose", None)
    build_kw = {k: v for k, v in params.items() if k not in FIT_PARAMS}
    fit_kw = {k: v for k, v in params.items() if k in FIT_PARAMS}
    start = time.perf_counter()
    scores = []
    for train_idx, val_idx in splits:
        lightgrad.manual_seed(seed)
        model = build_fn(**build_kw)
        if not getattr(model, "compiled", False):
            raise ValueError("tune: build_fn must return a compiled keras model (call "
                             "model.compile(...) inside build_fn)")
        lightgrad.manual_seed(seed)
        xt, yt = _take(x, train_idx), _take(y, train_idx)
        xv, yv = _take(x, val_idx), _take(y, val_idx)
        model.fit(xt, yt, verbose=0, **{**fit_kwargs, **fit_kw})
        if callable(scoring):
            score = float(scoring(model, xv, yv))
        else:
            logs = model.evaluate(xv, yv, verbose=0, return_dict=True)
            key = _score_key(scoring)
            if key not in logs:
                raise ValueError(f"tune: scoring={scoring!r} is not among the evaluated "
                                 f"quantities {sorted('val_' + k for k in logs)}; compile the "
                                 "model with that metric or choose another scoring")
            score = float(logs[key])
        scores.append(score)
    arr = np.asarray(scores, np.float64)
    return {"trial": trial, "params": dict(params), "score": float(arr.mean()),
            "std": float(arr.std()), "fold_scores": scores,
            "seconds": time.perf_counter() - start}


def _take(a: Any, idx: np.ndarray) -> Any:
    if isinstance(a, list | tuple):
        return type(a)(_take(v, idx) for v in a)
    if isinstance(a, dict):
        return {k: _take(v, idx) for k, v in a.items()}
    return a[idx]


def _as_numpy(a: Any) -> Any:
    if isinstance(a, list | tuple):
        return type(a)(_as_numpy(v) for v in a)
    if isinstance(a, dict):
        return {k: _as_numpy(v) for k, v in a.items()}
    if hasattr(a, "numpy") and not isinstance(a, np.ndarray):
        return np.asarray(a.detach().numpy(force=True))
    return np.asarray(a)


def _length(a: Any) -> int:
    if isinstance(a, list | tuple):
        return _length(a[0])
    if isinstance(a, dict):
        return _length(next(iter(a.values())))
    return int(a.shape[0])


# ============================================================================ searches
class _Search:
    def __init__(self, build_fn: Callable[..., Any], *, scoring: Any = "val_loss",
                 mode: str = "auto", validation_split: float = 0.2, cv: int | None = None,
                 seed: int = 0, n_jobs: int = 1, refit: bool = False, verbose: int = 0,
                 fit_kwargs: dict | None = None) -> None:
        if not callable(build_fn):
            raise TypeError(f"tune: build_fn must be callable, got {type(build_fn).__name__}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"tune: mode must be 'auto', 'min' or 'max', got {mode!r}")
        if callable(scoring) and mode == "auto":
            raise ValueError("tune: with a scoring function, say whether lower or higher is "
                             "better: mode='min' or mode='max'")
        if not callable(scoring) and not isinstance(scoring, str):
            raise TypeError(f"tune: scoring must be a name like 'val_accuracy' or a function "
                            f"(model, x_val, y_val) -> float, got {type(scoring).__name__}")
        if cv is not None and (isinstance(cv, bool) or not isinstance(cv, int) or cv < 2):
            raise ValueError(f"tune: cv must be an integer >= 2 (folds), got {cv!r}")
        if cv is None and not 0 < validation_split < 1:
            raise ValueError(f"tune: validation_split must be in (0, 1), got "
                             f"{validation_split!r}")
        if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
            raise ValueError(f"tune: n_jobs must be a positive integer or -1 (all cores), got "
                             f"{n_jobs!r}")
        self.build_fn = build_fn
        self.scoring = scoring
        name = scoring if isinstance(scoring, str) else getattr(scoring, "__name__", "score")
        self.scoring_name = name
        if mode == "auto":
            low = name.lower()
            mode = "min" if any(k in low for k in ("loss", "error", "mse", "mae",
                                                   "crossentropy", "hinge")) else "max"
        self.mode = mode
        self.validation_split = validation_split
        self.cv = cv
        self.seed = int(seed)
        self.n_jobs = multiprocessing.cpu_count() if n_jobs == -1 else n_jobs
        self.refit = refit
        self.verbose = verbose
        self.fit_kwargs = dict(fit_kwargs or {})
        self._check_build_params()

    # -- the configurations to try (subclasses)
    def configurations(self) -> list[dict]:
        raise NotImplementedError

    def _space_keys(self) -> list[str]:
        return []

    def _check_build_params(self) -> None:
        try:
            sig = inspect.signature(self.build_fn)
        except (TypeError, ValueError):
            return
        if any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values()):
            return
        unknown = [k for k in self._space_keys() if k not in FIT_PARAMS
                   and k not in sig.parameters]
        if unknown:
            raise ValueError(f"tune: build_fn {getattr(self.build_fn, '__name__', '')}"
                             f"{sig} does not accept the hyperparameter(s) {unknown} (fit "
                             f"arguments are {sorted(FIT_PARAMS)}; everything else goes to "
                             "build_fn)")

    def _splits(self, n: int) -> list[tuple[np.ndarray, np.ndarray]]:
        rng = np.random.default_rng(self.seed)
        perm = rng.permutation(n)
        if self.cv is not None:
            if self.cv > n:
                raise ValueError(f"tune: cv={self.cv} folds but only {n} samples")
            folds = np.array_split(perm, self.cv)
            return [(np.sort(np.concatenate([f for j, f in enumerate(folds) if j != i])),
                     np.sort(folds[i])) for i in range(self.cv)]
        n_val = int(round(n * self.validation_split))
        if not 0 < n_val < n:
            raise ValueError(f"tune: validation_split={self.validation_split} of {n} samples "
                             "leaves no training or no validation data")
        return [(np.sort(perm[n_val:]), np.sort(perm[:n_val]))]

    def _job(self, x: Any, y: Any, validation_data: Any, fit_kwargs: dict) -> dict:
        x, y = _as_numpy(x), _as_numpy(y)
        n = _length(x)
        if _length(y) != n:
            raise ValueError(f"tune: x has {n} samples but y has {_length(y)}")
        if validation_data is not None:
            xv, yv = _as_numpy(validation_data[0]), _as_numpy(validation_data[1])
            m = _length(xv)
            x = _concat(x, xv)
            y = _concat(y, yv)
            splits = [(np.arange(n), np.arange(n, n + m))]
        else:
            splits = self._splits(n)
        return {"x": x, "y": y, "splits": splits, "build_fn": self.build_fn,
                "scoring": self.scoring, "seed": self.seed,
                "fit_kwargs": {**self.fit_kwargs, **fit_kwargs}}

    def fit(self, x: Any, y: Any, validation_data: tuple | None = None,
            **fit_kwargs: Any) -> SearchResult:
        """Run every trial on ``(x, y)`` and return the :class:`SearchResult`.

        Args:
            x, y: the data (NumPy arrays or tensors; lists/dicts of them for multi-input
                models).
            validation_data: ``(x_val, y_val)`` to score on instead of a split of ``x``.
            **fit_kwargs: passed to every ``model.fit`` (e.g. ``epochs=10``), overridden by a
                hyperparameter of the same name.
        """
        configs = self.configurations()
        if not configs:
            raise ValueError("tune: the search space is empty")
        job = self._job(x, y, validation_data, fit_kwargs)
        results = self._execute(configs, job)
        best_model = None
        result = SearchResult(results, self.scoring_name, self.mode)
        if self.refit:
            import lightgrad

            params = result.best_params
            lightgrad.manual_seed(self.seed)
            best_model = self.build_fn(**{k: v for k, v in params.items()
                                          if k not in FIT_PARAMS})
            lightgrad.manual_seed(self.seed)
            best_model.fit(job["x"], job["y"], verbose=0,
                           **{**job["fit_kwargs"],
                              **{k: v for k, v in params.items() if k in FIT_PARAMS}})
            result.best_model = best_model
        return result

    def _execute(self, configs: list[dict], job: dict) -> list[dict]:
        if self.n_jobs == 1 or len(configs) == 1:
            out = []
            for i, params in enumerate(configs):
                r = _run_trial(i, params, job)
                self._report(r, len(configs))
                out.append(r)
            return out
        try:
            payload = pickle.dumps(job)
        except (pickle.PicklingError, AttributeError, TypeError) as e:
            raise ValueError(
                f"tune: n_jobs={self.n_jobs} runs trials in other processes, which must import "
                f"build_fn: define it at module level in an importable module (not a lambda, "
                f"closure or interactive function), or use n_jobs=1 ({e})") from e
        ctx = multiprocessing.get_context("spawn")
        results: list[dict | None] = [None] * len(configs)
        with cf.ProcessPoolExecutor(max_workers=min(self.n_jobs, len(configs)), mp_context=ctx,
                                    initializer=_init_worker, initargs=(payload,)) as pool:
            futures = {pool.submit(_run_trial, i, params): i for i, params in enumerate(configs)}
            for fut in cf.as_completed(futures):
                r = fut.result()
                self._report(r, len(configs))
                results[futures[fut]] = r
        return [r for r in results if r is not None]

    def _report(self, r: dict, total: int) -> None:
        if self.verbose:
            print(f"trial {r['trial'] + 1}/{total}: {self.scoring_name}={r['score']:.4g} "
                  f"{r['params']} ({r['seconds']:.1f} s)", flush=True)


def _concat(a: Any, b: Any) -> Any:
    if isinstance(a, list | tuple):
        return type(a)(_concat(u, v) for u, v in zip(a, b))
    if isinstance(a, dict):
        return {k: _concat(a[k], b[k]) for k in a}
    return np.concatenate([a, b])


class GridSearch(_Search):
    """Every combination of the listed values (in the order of ``param_grid``'s keys, the
    last key varying fastest).

    Args:
        build_fn: ``build_fn(**hparams) -> compiled keras model``.
        param_grid: ``{name: [values...]}`` (a single value is fixed), or a list of such dicts
            (the union of their grids).
        scoring: ``"val_loss"`` (default), ``"val_accuracy"``, any compiled metric as
            ``"val_<name>"``, or a function ``(model, x_val, y_val) -> float`` with ``mode``.
        mode: ``"min"``, ``"max"`` or ``"auto"`` (min for losses and errors, else max).
        validation_split: the fraction held out (a seeded random split) when ``cv`` is None.
        cv: k-fold cross-validation with ``cv`` folds (the score is the mean over the folds).
        seed: the seed of the split and of every trial's initialization and shuffling.
        n_jobs: parallel processes (``-1``: one per core); see the module docstring.
        refit: train the best configuration on all the data afterwards (``best_model``).
        verbose: print one line per finished trial.
        fit_kwargs: passed to every ``fit`` (also accepted by :meth:`fit`).
    """

    def __init__(self, build_fn: Callable[..., Any], param_grid: dict | list[dict],
                 **kwargs: Any) -> None:
        grids = param_grid if isinstance(param_grid, list) else [param_grid]
        if not grids or not all(isinstance(g, dict) for g in grids):
            raise TypeError("GridSearch: param_grid must be a dict {name: [values]} or a list "
                            "of such dicts")
        self.param_grid = grids
        super().__init__(build_fn, **kwargs)

    def _space_keys(self) -> list[str]:
        return sorted({k for g in self.param_grid for k in g})

    def configurations(self) -> list[dict]:
        out: list[dict] = []
        for grid in self.param_grid:
            keys = list(grid)
            values = []
            for k in keys:
                v = grid[k]
                if isinstance(v, choice):
                    v = v.values
                elif isinstance(v, _Distribution) or hasattr(v, "rvs"):
                    raise TypeError(f"GridSearch: {k!r} is a continuous distribution ({v!r}); "
                                    "list the values to try, or use RandomSearch")
                elif not isinstance(v, list | tuple | range | np.ndarray):
                    v = [v]
                v = list(v)
                if not v:
                    raise ValueError(f"GridSearch: {k!r} has no values")
                values.append([x.item() if isinstance(x, np.generic) else x for x in v])
            out.extend(dict(zip(keys, combo)) for combo in itertools.product(*values))
        return out


class RandomSearch(_Search):
    """``n_trials`` configurations drawn at random (seeded) from ``param_distributions``.

    Args:
        build_fn: ``build_fn(**hparams) -> compiled keras model``.
        param_distributions: ``{name: spec}`` where a spec is a list (one value uniformly),
            :class:`choice`, :class:`uniform`, :class:`loguniform`, :class:`randint`, a
            ``scipy.stats`` distribution (anything with ``rvs``) or a fixed value.
        n_trials: how many configurations (duplicates are drawn again, up to a limit).
        **kwargs: as :class:`GridSearch` (scoring, mode, validation_split, cv, seed, n_jobs,
            refit, verbose, fit_kwargs).
    """

    def __init__(self, build_fn: Callable[..., Any], param_distributions: dict,
                 n_trials: int = 10, **kwargs: Any) -> None:
        if not isinstance(param_distributions, dict):
            raise TypeError("RandomSearch: param_distributions must be a dict {name: spec}")
        if isinstance(n_trials, bool) or not isinstance(n_trials, int) or n_trials < 1:
            raise ValueError(f"RandomSearch: n_trials must be a positive integer, got "
                             f"{n_trials!r}")
        self.param_distributions = param_distributions
        self.n_trials = n_trials
        super().__init__(build_fn, **kwargs)

    def _space_keys(self) -> list[str]:
        return sorted(self.param_distributions)

    def configurations(self) -> list[dict]:
        rng = np.random.default_rng(self.seed)
        out: list[dict] = []
        seen: set[str] = set()
        attempts = 0
        while len(out) < self.n_trials and attempts < 50 * self.n_trials:
            attempts += 1
            params = {k: _sample(v, rng) for k, v in self.param_distributions.items()}
            params = {k: v.item() if isinstance(v, np.generic) else v for k, v in params.items()}
            key = repr(sorted(params.items()))
            if key in seen:
                continue
            seen.add(key)
            out.append(params)
        return out


class OptunaSearch(_Search):
    """A search driven by an Optuna sampler (TPE by default), if ``optuna`` is installed.

    The space is given as for :class:`RandomSearch`: lists and :class:`choice` become
    categorical parameters, :class:`uniform`/:class:`loguniform` floats, :class:`randint`
    integers; fixed values stay fixed. Trials run one after the other (each one's choice depends
    on the previous results), so ``n_jobs`` must be 1.

    Raises:
        ImportError: optuna is not installed (``pip install optuna``).
    """

    def __init__(self, build_fn: Callable[..., Any], param_distributions: dict,
                 n_trials: int = 10, sampler: Any = None, **kwargs: Any) -> None:
        try:
            import optuna  # noqa: F401
        except ImportError as e:
            raise ImportError("OptunaSearch needs optuna, which is not installed: pip install "
                              "optuna (GridSearch and RandomSearch need nothing)") from e
        if kwargs.get("n_jobs", 1) != 1:
            raise ValueError("OptunaSearch: trials run sequentially; n_jobs must be 1")
        self.param_distributions = dict(param_distributions)
        self.n_trials = int(n_trials)
        self.sampler = sampler
        super().__init__(build_fn, **kwargs)

    def _space_keys(self) -> list[str]:
        return sorted(self.param_distributions)

    def configurations(self) -> list[dict]:  # decided on the fly by the sampler
        return [{}]

    def _suggest(self, trial: Any) -> dict:
        params = {}
        for k, spec in self.param_distributions.items():
            if isinstance(spec, choice):
                spec = spec.values
            if isinstance(spec, list | tuple):
                params[k] = trial.suggest_categorical(k, list(spec))
            elif isinstance(spec, loguniform):
                params[k] = trial.suggest_float(k, spec.low, spec.high, log=True)
            elif isinstance(spec, uniform):
                params[k] = trial.suggest_float(k, spec.low, spec.high)
            elif isinstance(spec, randint):
                params[k] = trial.suggest_int(k, spec.low, spec.high)
            elif isinstance(spec, _Distribution) or hasattr(spec, "rvs"):
                raise TypeError(f"OptunaSearch: cannot translate {k}={spec!r} into Optuna")
            else:
                params[k] = spec
        return params

    def _execute(self, configs: list[dict], job: dict) -> list[dict]:
        import optuna

        sampler = self.sampler or optuna.samplers.TPESampler(seed=self.seed)
        results: list[dict] = []

        def objective(trial: Any) -> float:
            r = _run_trial(len(results), self._suggest(trial), job)
            self._report(r, self.n_trials)
            results.append(r)
            return r["score"]

        verbosity = optuna.logging.get_verbosity()
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        try:
            study = optuna.create_study(direction="minimize" if self.mode == "min" else
                                        "maximize", sampler=sampler)
            study.optimize(objective, n_trials=self.n_trials)
        finally:
            optuna.logging.set_verbosity(verbosity)
        return results


def grid_search(build_fn: Callable[..., Any], param_grid: dict | list[dict], x: Any, y: Any,
                **kwargs: Any) -> SearchResult:
    """``GridSearch(build_fn, param_grid, **search_kwargs).fit(x, y, **fit_kwargs)``: keyword
    arguments that :class:`GridSearch` takes configure the search, the rest go to ``fit``."""
    search_kw, fit_kw = _split_kwargs(kwargs)
    return GridSearch(build_fn, param_grid, **search_kw).fit(x, y, **fit_kw)


def random_search(build_fn: Callable[..., Any], param_distributions: dict, x: Any, y: Any,
                  n_trials: int = 10, **kwargs: Any) -> SearchResult:
    """``RandomSearch(build_fn, param_distributions, n_trials, ...).fit(x, y, ...)``."""
    search_kw, fit_kw = _split_kwargs(kwargs)
    return RandomSearch(build_fn, param_distributions, n_trials, **search_kw).fit(x, y, **fit_kw)


_SEARCH_KWARGS = frozenset({"scoring", "mode", "validation_split", "cv", "seed", "n_jobs",
                            "refit", "verbose", "fit_kwargs"})


def _split_kwargs(kwargs: dict) -> tuple[dict, dict]:
    search = {k: v for k, v in kwargs.items() if k in _SEARCH_KWARGS}
    fit = {k: v for k, v in kwargs.items() if k not in _SEARCH_KWARGS}
    return search, fit
