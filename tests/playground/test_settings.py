"""Settings validation: bounds, types, choices and the problem/data set rule."""

import math

import pytest

from lightgrad.playground.settings import (
    BOUNDS,
    FEATURES,
    Settings,
    SettingsError,
    parse_settings,
    schema,
)


def test_defaults_and_round_trip():
    s = parse_settings({})
    assert s == Settings()
    full = Settings(dataset="spiral", noise=25, ratio=70, batch=3, points=300,
                    features=("x1", "sinx2"), layers=(8, 1, 3), activation="relu", lr=0.3,
                    reg="l2", reg_rate=0.01, optimizer="adam", dropout=0.2, seed=42)
    assert parse_settings(full.to_dict()) == full


def test_features_are_put_in_canonical_order():
    s = parse_settings({"features": ["sinx2", "x1sq", "x1"]})
    assert s.features == ("x1", "x1sq", "sinx2")


def test_zero_hidden_layers_allowed():
    assert parse_settings({"layers": []}).layers == ()


@pytest.mark.parametrize("key, value", [
    ("noise", -1), ("noise", 51), ("noise", 2.5), ("noise", True), ("noise", "10"),
    ("ratio", 9), ("ratio", 91), ("batch", 0), ("batch", 31), ("points", 19),
    ("points", 2001), ("seed", -1), ("seed", 2**31), ("seed", None),
    ("lr", 0.0), ("lr", 11), ("lr", float("nan")), ("lr", float("inf")), ("lr", "0.1"),
    ("reg_rate", -0.1), ("reg_rate", 10.5), ("dropout", 0.81), ("dropout", -0.1),
    ("dataset", "moons"), ("dataset", 3), ("activation", "gelu"), ("reg", "l3"),
    ("optimizer", "lbfgs"), ("problem", "ranking"),
    ("layers", [9]), ("layers", [0]), ("layers", [1] * 7), ("layers", [2.0]), ("layers", "8,8"),
    ("layers", [True]), ("features", []), ("features", ["x3"]), ("features", ["x1", "x1"]),
    ("features", "x1"), ("features", ["x1"] * 8),
])
def test_out_of_bounds_and_wrong_types_are_rejected(key, value):
    with pytest.raises(SettingsError) as info:
        parse_settings({key: value})
    assert info.value.errors, "errors must be listed"
    assert info.value.errors[0]["loc"][0] == key
    assert key in str(info.value)


def test_bounds_are_inclusive():
    for key in ("noise", "ratio", "batch", "points", "seed"):
        lo, hi = BOUNDS[key]
        assert getattr(parse_settings({key: int(lo)}), key) == lo
        assert getattr(parse_settings({key: int(hi)}), key) == hi
    assert parse_settings({"lr": 1e-5}).lr == 1e-5
    assert parse_settings({"lr": 10}).lr == 10.0  # an int is a number too
    assert parse_settings({"layers": [8] * 6}).layers == (8,) * 6


def test_every_problem_is_reported_and_unknown_keys_rejected():
    with pytest.raises(SettingsError) as info:
        parse_settings({"noise": 99, "lr": -1, "code": "import os", "layers": [1, 20]})
    locs = [e["loc"] for e in info.value.errors]
    assert ["code"] in locs and ["noise"] in locs and ["lr"] in locs and ["layers", 1] in locs
    assert {e["type"] for e in info.value.errors} >= {"extra_forbidden", "range"}


def test_not_an_object():
    for bad in ([], "x", None, 3):
        with pytest.raises(SettingsError):
            parse_settings(bad)


def test_problem_and_dataset_stay_consistent():
    assert parse_settings({"dataset": "plane"}).problem == "regression"
    assert parse_settings({"problem": "regression"}).dataset == "plane"
    assert parse_settings({"problem": "classification"}).dataset == "circle"
    with pytest.raises(SettingsError, match="not a regression data set"):
        parse_settings({"dataset": "spiral", "problem": "regression"})


def test_n_train_keeps_both_sets_non_empty():
    assert Settings(points=500, ratio=50).n_train == 250
    assert Settings(points=20, ratio=10).n_train == 2
    for ratio in (10, 90):
        s = Settings(points=20, ratio=ratio)
        assert 1 <= s.n_train <= s.points - 1


def test_schema_lists_choices_bounds_and_defaults():
    sc = schema()
    assert sc["choices"]["features"] == list(FEATURES)
    assert sc["bounds"]["layers"] == [0, 6] and sc["bounds"]["neurons"] == [1, 8]
    assert parse_settings(sc["defaults"]) == Settings()
    assert all(math.isfinite(v) for lo_hi in sc["bounds"].values() for v in lo_hi)
