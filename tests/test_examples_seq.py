"""The sequence examples (word reversal, spam, tweets, sunspots/CO2, char LM, vanishing gradients,
transformer): each runs in its quick form and returns sane metrics; the full runs (marked slow,
``make examples`` runs them too) reach their targets, checked here independently of the
examples' own asserts.

An example whose data is not installed is skipped (the loaders raise DatasetNotFoundError).
"""

import math
import struct

import numpy as np
import pytest

import lightgrad
from lightgrad import cli
from lightgrad.datasets import DatasetNotFoundError, ReverseWordDataset

SEQ_EXAMPLES = ("word_reversal", "word_reversal_attention", "spam_lstm", "tweets_bigru",
                "sunspots_lstm", "char_lm", "vanishing_gradients", "transformer_classifier")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run(name, **kw):
    try:
        return cli.load_example(name).main(**kw)
    except DatasetNotFoundError as e:
        pytest.skip(f"{name}: data not installed ({e})")


def check_png(path):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 300 and height >= 300 and len(data) > 10_000


def finite(*values):
    return all(isinstance(v, float) and math.isfinite(v) for v in values)


def test_the_sequence_examples_are_discovered():
    assert set(SEQ_EXAMPLES) <= set(cli.available_examples())


# ------------------------------------------------------------------------------- quick runs


@pytest.mark.parametrize("name", ["word_reversal", "word_reversal_attention"])
def test_word_reversal_quick(name, tmp_path):
    kw = {"out_dir": tmp_path} if name.endswith("attention") else {}
    m = run(name, quick=True, **kw)
    assert m["train"] == 512 and m["test"] == 128 and m["epochs"] == 1
    assert 0.0 <= m["exact_match"] <= 1.0
    assert finite(m["loss"]) and 0.5 < m["loss"] < math.log(29) + 0.5  # learning has begun
    assert isinstance(m["turkey"], str) and set(m["turkey"]) <= set("abcdefghijklmnopqrstuvwxyz")
    if name.endswith("attention"):
        assert 0.0 <= m["alignment"] <= 1.0
        check_png(tmp_path / "word_reversal_attention.png")


@pytest.mark.parametrize("name,cls", [("word_reversal", "Seq2Seq"),
                                      ("word_reversal_attention", "AttentionSeq2Seq")])
def test_greedy_decoding_agrees_with_teacher_forcing_on_its_own_output(name, cls):
    """Step-by-step decoding (state carried between calls) must give the characters that one
    teacher-forced pass over the same prefix gives: the incremental decoder is the trained one."""
    module = cli.load_example(name)
    lightgrad.manual_seed(3)
    ds = ReverseWordDataset(["turkey", "cat", "horse", "abracadab"], max_len=10)
    model = getattr(module, cls)(ds.vocab_size, 16)
    for p in model.parameters():  # sharper logits than the initialization's: fewer ties
        p.data = p.data * 4
    model.eval()
    src = ds.tensors[0]
    with lightgrad.no_grad():
        out = model.greedy(src, ds.max_len + 1)
        guesses = out[0] if isinstance(out, tuple) else out  # (N, steps)
        prev = np.concatenate([np.full((len(ds), 1), ReverseWordDataset.SOS), guesses[:, :-1]],
                              1)
        logits = model(src, lightgrad.from_numpy(prev.astype(np.int64)))  # (N, steps, V)
    np.testing.assert_array_equal(logits.argmax(-1).numpy(), guesses)
    assert guesses.shape[0] == 4 and 1 <= guesses.shape[1] <= ds.max_len + 1


@pytest.mark.parametrize("name", ["spam_lstm", "transformer_classifier"])
def test_spam_classifiers_quick(name):
    m = run(name, quick=True)
    assert m["train"] == 480 and m["test"] == 120 and m["epochs"] == 1
    assert 0.5 <= m["majority"] <= 1.0 and 0.0 <= m["accuracy"] <= 1.0
    # the first epoch's mean training loss is already below chance (ln 2)
    assert finite(m["loss"]) and m["loss"] < math.log(2) and m["vocab"] > 1000


def test_tweets_bigru_quick():
    m = run("tweets_bigru", quick=True)
    assert m["train"] == 500 and m["test"] == 200
    assert 1 / 3 < m["majority"] < 0.6 and 0.0 <= m["accuracy"] <= 1.0
    assert finite(m["loss"]) and m["loss"] < math.log(3)  # below chance after one epoch


def test_sunspots_lstm_quick():
    m = run("sunspots_lstm", quick=True)
    for s in ("sunspots", "co2"):
        assert finite(m[f"{s}_rmse"], m[f"{s}_persistence_rmse"])
        # one epoch from a persistence-plus-correction start: not far from persistence
        assert m[f"{s}_rmse"] < 2 * m[f"{s}_persistence_rmse"]
    assert 20 < m["sunspots_persistence_rmse"] < 50


def test_char_lm_quick():
    m = run("char_lm", quick=True)
    assert finite(m["bpc"], m["unigram_bpc"])
    assert 3.5 < m["unigram_bpc"] < 4.7  # English letters (+ newline): about 4.2 bits
    assert m["bpc"] < math.log2(27) + 0.3 and m["perplexity"] == pytest.approx(2 ** m["bpc"])
    assert all(0.0 <= m[f"real_words_t{t}"] <= 1.0 for t in (0.5, 1.0, 1.5))


def test_vanishing_gradients_quick(tmp_path):
    m = run("vanishing_gradients", quick=True, out_dir=tmp_path)
    # even over 20 steps the tanh RNN's gradient has shrunk and forget bias 3 keeps it
    assert m["rnn_first_over_last"] < 1e-2
    assert m["lstm_fb3_first_over_last"] > 1e2 * m["rnn_first_over_last"]
    assert m["unclipped_diverged"] and not m["clipped_diverged"]
    assert m["max_grad_norm"] > 100
    check_png(tmp_path / "vanishing_gradients.png")


# -------------------------------------------------------------------------------- full runs


@pytest.mark.slow
def test_word_reversal_reaches_its_target():
    m = run("word_reversal")
    assert m["exact_match"] >= 0.90 and m["test"] == 2000
    assert m["turkey"] == "turkey"  # "yekrut", never trained on


@pytest.mark.slow
def test_word_reversal_attention_reaches_95_percent(tmp_path):
    m = run("word_reversal_attention", out_dir=tmp_path)
    assert m["exact_match"] >= 0.95 and m["test"] == 2000
    assert m["turkey"] == "turkey"
    assert m["alignment"] >= 0.9  # the attention points at the mirrored letter
    check_png(tmp_path / "word_reversal_attention.png")


@pytest.mark.slow
def test_spam_lstm_reaches_97_percent():
    m = run("spam_lstm")
    assert m["accuracy"] >= 0.97 and m["test"] == 1209


@pytest.mark.slow
def test_transformer_classifier_reaches_its_target():
    m = run("transformer_classifier")
    assert m["accuracy"] >= 0.96 and m["test"] == 1209


@pytest.mark.slow
def test_tweets_bigru_beats_the_majority_class():
    m = run("tweets_bigru")
    assert m["accuracy"] >= 0.68 and m["accuracy"] > m["majority"] + 0.2


@pytest.mark.slow
def test_sunspots_and_co2_lstms_beat_persistence():
    m = run("sunspots_lstm")
    assert m["sunspots_rmse"] < m["sunspots_persistence_rmse"]
    assert m["co2_rmse"] < m["co2_persistence_rmse"]


@pytest.mark.slow
def test_char_lm_reaches_its_bits_per_character():
    m = run("char_lm")
    assert m["bpc"] <= 2.85 and m["bpc"] < m["unigram_bpc"] - 1.3
    assert m["real_words_t0.5"] > m["real_words_t1.5"]  # colder sampling: more real words


@pytest.mark.slow
def test_vanishing_gradients_full(tmp_path):
    m = run("vanishing_gradients", out_dir=tmp_path)
    assert m["rnn_first_over_last"] < 1e-12
    assert m["lstm_fb1_first_over_last"] > 1e6 * m["rnn_first_over_last"]
    assert m["unclipped_diverged"] and not m["clipped_diverged"]
    assert m["clipped_final_loss"] < 0.5
    check_png(tmp_path / "vanishing_gradients.png")
