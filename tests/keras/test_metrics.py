"""Keras metrics against scikit-learn / NumPy reference values, their names and lookup, and the
confusion-matrix / classification-report utilities."""

import numpy as np
import pytest

from lightgrad import keras
from lightgrad import tensor as lg_tensor

sk = pytest.importorskip("sklearn.metrics")
M = keras.metrics


def _probs(rng, n, c):
    logits = rng.standard_normal((n, c))
    e = np.exp(logits - logits.max(1, keepdims=True))
    return (e / e.sum(1, keepdims=True)).astype(np.float32)


def _in_batches(metric, *arrays, size=7, weights=None):
    """Feed ``metric`` in uneven batches: the streaming result must equal the one-shot one."""
    n = len(arrays[0])
    for start in range(0, n, size):
        part = [a[start:start + size] for a in arrays]
        sw = None if weights is None else weights[start:start + size]
        metric.update_state(*part, sample_weight=sw)
    return metric.result()


# ---------------------------------------------------------------------------- accuracies
def test_accuracy_metrics_match_sklearn(rng):
    n, c = 50, 4
    labels = rng.integers(0, c, n)
    probs = _probs(rng, n, c)
    pred = probs.argmax(1)
    w = rng.uniform(0.1, 2.0, n)
    want = sk.accuracy_score(labels, pred)
    want_w = sk.accuracy_score(labels, pred, sample_weight=w)
    assert _in_batches(M.SparseCategoricalAccuracy(), labels, probs) == pytest.approx(want)
    assert _in_batches(M.SparseCategoricalAccuracy(), labels[:, None], probs) == \
        pytest.approx(want)
    assert _in_batches(M.SparseCategoricalAccuracy(), labels, probs, weights=w) == \
        pytest.approx(want_w)
    onehot = np.eye(c)[labels]
    assert _in_batches(M.CategoricalAccuracy(), onehot, probs) == pytest.approx(want)
    assert _in_batches(M.CategoricalAccuracy(), onehot, probs, weights=w) == \
        pytest.approx(want_w)
    assert _in_batches(M.Accuracy(), labels, pred) == pytest.approx(want)
    # tensors work as well as arrays
    m = M.SparseCategoricalAccuracy()
    m.update_state(lg_tensor(labels), lg_tensor(probs))
    assert m.result() == pytest.approx(want)


def test_binary_accuracy_threshold_and_multilabel(rng):
    y = rng.integers(0, 2, (40, 1)).astype(np.float32)
    p = rng.uniform(0, 1, (40, 1)).astype(np.float32)
    for t in (0.5, 0.3):
        want = sk.accuracy_score(y[:, 0], (p[:, 0] > t).astype(int))
        assert _in_batches(M.BinaryAccuracy(threshold=t), y, p) == pytest.approx(want)
    # labels without the trailing axis are reconciled with (N, 1) predictions
    assert _in_batches(M.BinaryAccuracy(), y[:, 0], p) == \
        pytest.approx(sk.accuracy_score(y[:, 0], (p[:, 0] > 0.5).astype(int)))
    # multi-label: the mean over every label (Keras averages per sample, then over samples)
    ym = rng.integers(0, 2, (30, 3))
    pm = rng.uniform(0, 1, (30, 3))
    w = rng.uniform(0.5, 1.5, 30)
    per_sample = ((pm > 0.5) == ym).mean(1)
    assert _in_batches(M.BinaryAccuracy(), ym, pm) == pytest.approx(per_sample.mean())
    assert _in_batches(M.BinaryAccuracy(), ym, pm, weights=w) == \
        pytest.approx((per_sample * w).sum() / w.sum())


def test_top_k_accuracies_match_sklearn(rng):
    n, c = 60, 6
    labels = rng.integers(0, c, n)
    scores = _probs(rng, n, c)
    for k in (1, 2, 3):
        want = sk.top_k_accuracy_score(labels, scores, k=k, labels=np.arange(c))
        assert _in_batches(M.SparseTopKCategoricalAccuracy(k=k), labels, scores) == \
            pytest.approx(want)
        assert _in_batches(M.TopKCategoricalAccuracy(k=k), np.eye(c)[labels], scores) == \
            pytest.approx(want)


# ---------------------------------------------------------------------------- precision & co
def test_precision_recall_confusion_counts_match_sklearn(rng):
    y = rng.integers(0, 2, 80)
    p = rng.uniform(0, 1, 80)
    w = rng.uniform(0.1, 3.0, 80)
    for t in (0.5, 0.25, 0.8):
        hard = (p > t).astype(int)
        assert _in_batches(M.Precision(thresholds=t), y, p) == \
            pytest.approx(sk.precision_score(y, hard))
        assert _in_batches(M.Recall(thresholds=t), y, p) == \
            pytest.approx(sk.recall_score(y, hard))
        assert _in_batches(M.Precision(thresholds=t), y, p, weights=w) == \
            pytest.approx(sk.precision_score(y, hard, sample_weight=w))
    tn, fp, fn, tp = sk.confusion_matrix(y, (p > 0.5).astype(int)).ravel()
    assert _in_batches(M.TruePositives(), y, p) == tp
    assert _in_batches(M.FalsePositives(), y, p) == fp
    assert _in_batches(M.TrueNegatives(), y, p) == tn
    assert _in_batches(M.FalseNegatives(), y, p) == fn
    # several thresholds give one value per threshold
    got = _in_batches(M.Precision(thresholds=[0.3, 0.6]), y, p)
    want = [sk.precision_score(y, (p > t).astype(int)) for t in (0.3, 0.6)]
    np.testing.assert_allclose(got, want)
    # no positive prediction: precision is 0, not NaN
    assert _in_batches(M.Precision(), y, np.zeros(80)) == 0.0


def test_precision_recall_class_id_and_top_k(rng):
    n, c = 50, 4
    labels = rng.integers(0, c, n)
    onehot = np.eye(c)[labels]
    scores = _probs(rng, n, c)
    pred = scores.argmax(1)
    # one class (column) at the default threshold
    want = sk.precision_score(labels == 2, scores[:, 2] > 0.5, zero_division=0)
    assert _in_batches(M.Precision(class_id=2), onehot, scores) == pytest.approx(want)
    # top_k=1: the argmax is the positive prediction of each row
    assert _in_batches(M.Recall(top_k=1, class_id=1), onehot, scores) == \
        pytest.approx(sk.recall_score(labels == 1, pred == 1))
    assert _in_batches(M.Precision(top_k=1), onehot, scores) == \
        pytest.approx(sk.accuracy_score(labels, pred))


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
def test_f1_score_matches_sklearn(rng, average):
    n, c = 70, 4
    labels = rng.integers(0, c, n)
    scores = _probs(rng, n, c)
    got = _in_batches(M.F1Score(average=average), np.eye(c)[labels], scores)
    want = sk.f1_score(labels, scores.argmax(1), average=average, labels=np.arange(c))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)  # Keras's 1e-7 epsilon
    w = rng.uniform(0.2, 2.0, n)
    got = _in_batches(M.F1Score(average=average), np.eye(c)[labels], scores, weights=w)
    want = sk.f1_score(labels, scores.argmax(1), average=average, labels=np.arange(c),
                       sample_weight=w)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_f1_threshold_and_fbeta(rng):
    y = rng.integers(0, 2, (60, 3))
    p = rng.uniform(0, 1, (60, 3))
    got = _in_batches(M.F1Score(average="macro", threshold=0.4), y, p)
    want = sk.f1_score(y, (p > 0.4).astype(int), average="macro")
    assert got == pytest.approx(want, rel=1e-5)
    got = _in_batches(M.FBetaScore(average="micro", beta=2.0, threshold=0.5), y, p)
    want = sk.fbeta_score(y, (p > 0.5).astype(int), beta=2.0, average="micro")
    assert got == pytest.approx(want, rel=1e-5)
    with pytest.raises(ValueError, match="2D inputs"):
        M.F1Score().update_state(np.array([0, 1]), np.array([0.2, 0.9]))
    with pytest.raises(ValueError, match="average"):
        M.F1Score(average="binary")


# ---------------------------------------------------------------------------- AUC
def test_roc_auc_is_exact_on_the_threshold_grid(rng):
    # scores strictly between the grid's thresholds: the trapezoids are the exact ROC curve
    n_thr = 21
    y = rng.integers(0, 2, 200)
    grid = (np.arange(n_thr - 1) + 0.5) / (n_thr - 1)
    p = grid[rng.integers(0, n_thr - 1, 200)]
    got = _in_batches(M.AUC(num_thresholds=n_thr), y, p, size=33)
    assert got == pytest.approx(sk.roc_auc_score(y, p), abs=1e-12)
    w = rng.uniform(0.1, 2.0, 200)
    got = _in_batches(M.AUC(num_thresholds=n_thr), y, p, size=33, weights=w)
    assert got == pytest.approx(sk.roc_auc_score(y, p, sample_weight=w), abs=1e-12)


def test_auc_approximations_and_options(rng):
    y = rng.integers(0, 2, 500)
    p = np.clip(y * 0.3 + rng.uniform(0, 0.7, 500), 0, 1)
    assert _in_batches(M.AUC(), y, p, size=64) == pytest.approx(sk.roc_auc_score(y, p),
                                                                abs=5e-3)
    pr = _in_batches(M.AUC(curve="PR", num_thresholds=1000), y, p, size=64)
    assert pr == pytest.approx(sk.average_precision_score(y, p), abs=1e-2)
    # minoring/majoring bracket the interpolated area
    lo = _in_batches(M.AUC(summation_method="minoring"), y, p, size=64)
    hi = _in_batches(M.AUC(summation_method="majoring"), y, p, size=64)
    mid = _in_batches(M.AUC(), y, p, size=64)
    assert lo <= mid <= hi
    # from_logits applies a sigmoid first
    logits = np.log(np.clip(p, 1e-6, 1 - 1e-6) / np.clip(1 - p, 1e-6, 1))
    assert _in_batches(M.AUC(from_logits=True), y, logits) == pytest.approx(mid, abs=1e-9)
    # multi_label: the mean of the per-label AUCs
    ym = rng.integers(0, 2, (300, 3))
    grid = (np.arange(10) + 0.5) / 10
    pm = grid[rng.integers(0, 10, (300, 3))]
    got = _in_batches(M.AUC(num_thresholds=11, multi_label=True), ym, pm, size=50)
    want = np.mean([sk.roc_auc_score(ym[:, j], pm[:, j]) for j in range(3)])
    assert got == pytest.approx(want, abs=1e-12)


def test_pr_auc_interpolation_by_hand():
    # two thresholds' worth of counts: Davis & Goadrich's interpolated area, computed by hand
    m = M.AUC(num_thresholds=3, curve="PR")
    m.update_state([0, 0, 1, 1], [0.0, 0.5, 0.3, 0.9])
    tp = np.array([2.0, 1.0, 0.0])
    fp = np.array([2.0, 0.0, 0.0])
    fn = 2.0 - tp
    total = 0.0
    for i in range(2):
        dtp, p0, p1 = tp[i] - tp[i + 1], tp[i] + fp[i], tp[i + 1] + fp[i + 1]
        slope = dtp / (p0 - p1) if p0 - p1 > 0 else 0.0
        intercept = tp[i + 1] - slope * p1
        ratio = p0 / p1 if p0 > 0 and p1 > 0 else 1.0
        denom = tp[i + 1] + fn[i + 1]
        total += slope * (dtp + intercept * np.log(ratio)) / denom if denom > 0 else 0.0
    assert m.result() == pytest.approx(total)
    assert M.AUC(num_thresholds=3).__call__([0, 0, 1, 1], [0.0, 0.5, 0.3, 0.9]) == 0.75


# ---------------------------------------------------------------------------- regression
def test_regression_metrics_match_sklearn(rng):
    y = rng.standard_normal((40, 3))
    p = y + 0.3 * rng.standard_normal((40, 3))
    w = rng.uniform(0.1, 2.0, 40)
    assert _in_batches(M.MeanSquaredError(), y, p) == \
        pytest.approx(sk.mean_squared_error(y, p))
    assert _in_batches(M.MeanAbsoluteError(), y, p) == \
        pytest.approx(sk.mean_absolute_error(y, p))
    assert _in_batches(M.RootMeanSquaredError(), y, p) == \
        pytest.approx(np.sqrt(sk.mean_squared_error(y, p)))
    # weights apply per sample to the mean over the outputs
    per = ((y - p) ** 2).mean(1)
    assert _in_batches(M.MeanSquaredError(), y, p, weights=w) == \
        pytest.approx((per * w).sum() / w.sum())
    pos = np.abs(y) + 0.5
    assert _in_batches(M.MeanAbsolutePercentageError(), pos, p) == \
        pytest.approx(100 * sk.mean_absolute_percentage_error(pos, p))
    q = np.abs(p)
    assert _in_batches(M.MeanSquaredLogarithmicError(), pos, q) == \
        pytest.approx(sk.mean_squared_log_error(pos, q))
    # (N,) targets against (N, 1) predictions are reconciled, not broadcast to (N, N)
    assert _in_batches(M.MeanAbsoluteError(), y[:, 0], p[:, :1]) == \
        pytest.approx(sk.mean_absolute_error(y[:, 0], p[:, 0]))


def test_crossentropy_metrics_match_sklearn_log_loss(rng):
    labels = rng.integers(0, 3, 30)
    probs = _probs(rng, 30, 3).astype(np.float64)
    probs /= probs.sum(1, keepdims=True)
    want = sk.log_loss(labels, probs, labels=[0, 1, 2])
    assert _in_batches(M.SparseCategoricalCrossentropy(), labels, probs) == \
        pytest.approx(want, rel=1e-5)
    assert _in_batches(M.CategoricalCrossentropy(), np.eye(3)[labels], probs) == \
        pytest.approx(want, rel=1e-5)
    yb = rng.integers(0, 2, (30, 1)).astype(np.float64)
    pb = rng.uniform(0.05, 0.95, (30, 1))
    assert _in_batches(M.BinaryCrossentropy(), yb, pb) == \
        pytest.approx(sk.log_loss(yb[:, 0], pb[:, 0]), rel=1e-5)


def test_mean_sum_and_wrapper():
    m = M.Mean()
    m.update_state([1, 3, 5, 7])
    assert m.result() == 4.0
    m.update_state([[2, 4]], sample_weight=[3])  # rank 2: averaged per sample first
    assert m.result() == pytest.approx((16 + 3 * 3) / 7)
    m.reset_state()
    assert m.result() == 0.0
    s = M.Sum()
    s.update_state([1, 2, 3], sample_weight=[1, 0, 2])
    assert s.result() == 7.0

    def l1_error(y_true, y_pred):  # a function on lightgrad tensors
        return (y_true - y_pred).abs().mean(dim=-1)

    w = M.get(l1_error)
    assert w.name == "l1_error"
    w.update_state(lg_tensor([[1.0, 2.0], [0.0, 0.0]]), lg_tensor([[0.0, 0.0], [0.0, 2.0]]))
    assert w.result() == pytest.approx((1.5 + 1.0) / 2)


# ---------------------------------------------------------------------------- lookup
def test_get_names_and_accuracy_resolution():
    assert isinstance(M.get("mse"), M.MeanSquaredError) and M.get("mse").name == "mse"
    assert M.get("mae").name == "mae"
    assert isinstance(M.get("AUC"), M.AUC) and M.get("auc").name == "auc"
    assert isinstance(M.get("f1_score"), M.F1Score)
    assert isinstance(M.get("Precision"), M.Precision)
    assert isinstance(M.get("top_k_categorical_accuracy"), M.TopKCategoricalAccuracy)
    # "accuracy" from the shapes, as Keras 3
    assert isinstance(M.get("accuracy", output_shape=(8, 1), y_true_shape=(8,)),
                      M.BinaryAccuracy)
    assert isinstance(M.get("accuracy", output_shape=(8, 3), y_true_shape=(8,)),
                      M.SparseCategoricalAccuracy)
    assert isinstance(M.get("acc", output_shape=(8, 3), y_true_shape=(8, 1)),
                      M.SparseCategoricalAccuracy)
    assert isinstance(M.get("accuracy", output_shape=(8, 3), y_true_shape=(8, 3)),
                      M.CategoricalAccuracy)
    assert M.get("acc", output_shape=(8, 3), y_true_shape=(8, 3)).name == "acc"
    m = M.Precision(thresholds=0.3)
    assert M.get(m) is m
    clone = M.deserialize(M.serialize(m))
    assert isinstance(clone, M.Precision) and clone.thresholds.tolist() == [0.3]
    with pytest.raises(ValueError, match="Unknown metric"):
        M.get("nope")
    with pytest.raises(ValueError, match="Unknown metric class"):
        M.deserialize({"class_name": "os.system", "config": {}})


def test_metric_call_and_direction():
    m = M.BinaryAccuracy()
    assert m([1, 0], [0.9, 0.2]) == 1.0
    assert m([1, 0], [0.1, 0.2]) == 0.75  # stateful
    assert M.AUC._direction == "up" and M.MeanSquaredError._direction == "down"


# ---------------------------------------------------------------------------- utilities
def test_confusion_matrix_matches_sklearn(rng):
    t = rng.integers(0, 5, 100)
    p = rng.integers(0, 5, 100)
    np.testing.assert_array_equal(M.confusion_matrix(t, p),
                                  sk.confusion_matrix(t, p, labels=range(5)))
    np.testing.assert_array_equal(M.confusion_matrix(t, p, num_classes=7),
                                  sk.confusion_matrix(t, p, labels=range(7)))
    # one-hot targets and class scores (predict's output) are argmax-ed
    scores = np.eye(5)[p] + 0.01
    np.testing.assert_array_equal(M.confusion_matrix(np.eye(5)[t], scores),
                                  sk.confusion_matrix(t, p, labels=range(5)))
    w = rng.uniform(0, 1, 100)
    np.testing.assert_allclose(M.confusion_matrix(t, p, sample_weight=w),
                               sk.confusion_matrix(t, p, labels=range(5), sample_weight=w))
    assert keras.utils.confusion_matrix is M.confusion_matrix
    with pytest.raises(ValueError, match="out of range"):
        M.confusion_matrix([0, 5], [0, 1], num_classes=3)
    with pytest.raises(ValueError, match="non-negative"):
        M.confusion_matrix([0, -1], [0, 1])
    with pytest.raises(ValueError, match="labels"):
        M.confusion_matrix([0, 1, 2], [0, 1])


@pytest.mark.filterwarnings("ignore::UserWarning")  # sklearn's zero-division warnings
def test_classification_report_text_equals_sklearn(rng):
    t = rng.integers(0, 4, 120)
    p = np.where(rng.uniform(size=120) < 0.6, t, rng.integers(0, 4, 120))
    p[p == 3] = 0  # class 3 is never predicted: its precision is 0
    assert M.classification_report(t, p) == sk.classification_report(t, p)
    names = ["cat", "dog", "bird", "a much longer class name"]
    for digits in (2, 4):
        assert M.classification_report(t, p, target_names=names, digits=digits) == \
            sk.classification_report(t, p, target_names=names, digits=digits)
    assert M.classification_report(t, p, num_classes=6) == \
        sk.classification_report(t, p, labels=range(6), zero_division=0)
    got = M.classification_report(t, p, output_dict=True)
    want = sk.classification_report(t, p, output_dict=True)
    assert got.keys() == want.keys()
    for k, v in want.items():
        if isinstance(v, dict):
            for kk, vv in v.items():
                assert got[k][kk] == pytest.approx(vv)
        else:
            assert got[k] == pytest.approx(v)
    assert keras.utils.classification_report is M.classification_report
