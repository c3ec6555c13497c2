"""Hyperparameter search (lightgrad.tune) on a tiny problem."""

import math

import numpy as np
import pytest

from lightgrad import keras, tune
from lightgrad.datasets import make_circle

CALLS = []


def build(units=4, learning_rate=0.05, activation="tanh", l2=0.0, dropout=0.0):
    """Module level, so that worker processes can import it (n_jobs > 1)."""
    CALLS.append({"units": units, "learning_rate": learning_rate, "activation": activation})
    layers = [keras.Input(shape=(2,)),
              keras.layers.Dense(units, activation=activation,
                                 kernel_regularizer=keras.regularizers.L2(l2) if l2 else None)]
    if dropout:
        layers.append(keras.layers.Dropout(dropout))
    layers.append(keras.layers.Dense(1, activation="sigmoid"))
    model = keras.Sequential(layers)
    model.compile(keras.optimizers.Adam(learning_rate), "binary_crossentropy",
                  metrics=["accuracy"])
    return model


def build_uncompiled(units=4):
    return keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])


@pytest.fixture(scope="module")
def data():
    return make_circle(n=120, noise=0.1, seed=0)


def test_grid_configurations_and_routing(data):
    x, y = data
    search = tune.GridSearch(build, {"units": [2, 6], "learning_rate": [0.01, 0.1],
                                     "epochs": 2, "batch_size": [16]},
                             scoring="val_accuracy", seed=3)
    configs = search.configurations()
    assert configs == [{"units": u, "learning_rate": lr, "epochs": 2, "batch_size": 16}
                       for u in (2, 6) for lr in (0.01, 0.1)]
    CALLS.clear()
    result = search.fit(x, y)
    # epochs and batch_size went to fit, the rest to build_fn
    assert [c["units"] for c in CALLS] == [2, 2, 6, 6]
    assert len(result.results) == 4 and [r["trial"] for r in result.results] == [0, 1, 2, 3]
    scores = [r["score"] for r in result.results]
    assert all(0 <= s <= 1 for s in scores)
    assert result.best_score == max(scores) and result.mode == "max"
    assert result.best_params == result.results[result.best_index]["params"]
    table = result.table()
    lines = table.splitlines()
    assert lines[0].split() == ["rank", "trial", "units", "learning_rate", "epochs",
                                "batch_size", "val_accuracy", "seconds"]
    assert len(lines) == 6 and lines[2].split()[0] == "1"
    assert float(lines[2].split()[6]) == pytest.approx(result.best_score, abs=1e-3)
    assert "4 trials" in repr(result)
    # list of grids: the union
    two = tune.GridSearch(build, [{"units": [2]}, {"units": [3], "activation": ["relu"]}])
    assert two.configurations() == [{"units": 2}, {"units": 3, "activation": "relu"}]


def test_searches_are_seeded_and_reproducible(data):
    x, y = data
    space = {"units": tune.randint(2, 8), "learning_rate": tune.loguniform(1e-3, 1e-1),
             "activation": ["relu", "tanh"], "dropout": tune.uniform(0.0, 0.3),
             "l2": tune.choice([0.0, 1e-3]), "epochs": 2}
    a = tune.RandomSearch(build, space, n_trials=5, seed=1)
    b = tune.RandomSearch(build, space, n_trials=5, seed=1)
    ca, cb = a.configurations(), b.configurations()
    assert ca == cb and len(ca) == 5
    assert ca != tune.RandomSearch(build, space, n_trials=5, seed=2).configurations()
    for c in ca:
        assert 2 <= c["units"] <= 8 and 1e-3 <= c["learning_rate"] < 1e-1
        assert c["activation"] in ("relu", "tanh") and 0 <= c["dropout"] < 0.3
        assert c["l2"] in (0.0, 1e-3) and c["epochs"] == 2
    ra = a.fit(x, y)
    rb = tune.random_search(build, space, x, y, n_trials=5, seed=1)
    assert [r["score"] for r in ra.results] == [r["score"] for r in rb.results]
    assert ra.mode == "min" and ra.scoring == "val_loss"
    assert ra.best_score == min(r["score"] for r in ra.results)


def test_cross_validation_folds(data):
    x, y = data
    search = tune.GridSearch(build, {"units": [3]}, cv=3, seed=0, fit_kwargs={"epochs": 1})
    folds = search._splits(len(x))
    assert len(folds) == 3
    val = np.concatenate([v for _, v in folds])
    assert sorted(val.tolist()) == list(range(len(x)))  # every sample validated once
    for train_idx, val_idx in folds:
        assert not set(train_idx) & set(val_idx) and len(train_idx) + len(val_idx) == len(x)
    r = search.fit(x, y).results[0]
    assert len(r["fold_scores"]) == 3
    assert r["score"] == pytest.approx(np.mean(r["fold_scores"]))
    assert r["std"] == pytest.approx(np.std(r["fold_scores"]))
    assert "±" in search.fit(x, y).table()


def test_validation_data_scoring_function_and_refit(data):
    x, y = data

    def accuracy(model, xv, yv):
        return float(((model.predict(xv, verbose=0)[:, 0] > 0.5) == yv).mean())

    search = tune.GridSearch(build, {"learning_rate": [0.001, 0.2], "epochs": [8]},
                             scoring=accuracy, mode="max", refit=True)
    result = search.fit(x[:80], y[:80], validation_data=(x[80:], y[80:]))
    assert result.scoring == "accuracy"
    assert result.best_model is not None and result.best_model.compiled
    expected = accuracy(result.best_model, x[80:], y[80:])
    assert 0 <= expected <= 1
    assert result.best_params["learning_rate"] == 0.2  # 8 epochs at 0.001 barely move


def test_parallel_trials_match_serial(data):
    x, y = data
    grid = {"units": [2, 5], "epochs": [2]}
    serial = tune.GridSearch(build, grid, n_jobs=1, seed=4).fit(x, y)
    parallel = tune.GridSearch(build, grid, n_jobs=2, seed=4).fit(x, y)
    assert [r["score"] for r in serial.results] == [r["score"] for r in parallel.results]
    assert [r["params"] for r in serial.results] == [r["params"] for r in parallel.results]


def test_errors(data):
    x, y = data
    with pytest.raises(ValueError, match="does not accept.*'depth'"):
        tune.GridSearch(build, {"depth": [1, 2]})
    with pytest.raises(ValueError, match="compiled"):
        tune.GridSearch(build_uncompiled, {"units": [1]}).fit(x, y)
    with pytest.raises(ValueError, match="val_auc.*val_accuracy"):
        tune.GridSearch(build, {"units": [2]}, scoring="val_auc",
                        fit_kwargs={"epochs": 1}).fit(x, y)
    with pytest.raises(ValueError, match="mode"):
        tune.GridSearch(build, {"units": [2]}, scoring=lambda m, a, b: 0.0)
    with pytest.raises(TypeError, match="RandomSearch"):
        tune.GridSearch(build, {"learning_rate": tune.loguniform(1e-3, 1e-1)}).configurations()
    with pytest.raises(ValueError, match="cv"):
        tune.GridSearch(build, {"units": [2]}, cv=1)
    with pytest.raises(ValueError, match="loguniform"):
        tune.loguniform(0, 1)
    with pytest.raises(ValueError, match="importable|module level"):
        tune.GridSearch(lambda units=2: build(units), {"units": [2, 3]}, n_jobs=2).fit(x, y)
    nan = tune.SearchResult([{"trial": 0, "params": {}, "score": math.nan, "std": 0.0,
                              "fold_scores": [math.nan], "seconds": 0.0},
                             {"trial": 1, "params": {"a": 1}, "score": 0.5, "std": 0.0,
                              "fold_scores": [0.5], "seconds": 0.0}], "val_loss", "min")
    assert nan.best_index == 1 and nan.ranked()[-1]["trial"] == 0


def test_optuna_search(data):
    try:
        import optuna  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pip install optuna"):
            tune.OptunaSearch(build, {"units": [2, 4]})
        return
    x, y = data
    result = tune.OptunaSearch(build, {"units": tune.randint(2, 6),
                                       "learning_rate": tune.loguniform(1e-3, 0.3),
                                       "activation": ["relu", "tanh"], "epochs": 2},
                               n_trials=4, seed=0).fit(x, y)
    assert len(result.results) == 4
    assert all(2 <= r["params"]["units"] <= 6 for r in result.results)
