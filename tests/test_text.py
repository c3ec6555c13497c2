"""lightgrad.text: tokenizers, Vocab, pad_sequences (Keras semantics), one_hot.

Keras is not installed here, so ``pad_sequences`` is checked against the behaviour of
``keras.utils.pad_sequences`` written out case by case (Keras 3 source, ``keras/src/utils/
sequence_utils.py``):

* defaults ``maxlen=None`` (the longest sequence), ``dtype="int32"``, ``padding="pre"``,
  ``truncating="pre"``, ``value=0.0``;
* ``padding="pre"`` fills the *start* of the row, ``"post"`` the end;
* ``truncating="pre"`` keeps the *last* ``maxlen`` elements, ``"post"`` the first;
* empty sequences are rows of ``value``; elements may be arrays (trailing shape from the first
  non-empty sequence; a different one is a ``ValueError``);
* a string ``value`` with a numeric dtype, and unknown padding/truncating modes, are
  ``ValueError``.
"""

import json

import numpy as np
import pytest

import lightgrad
from lightgrad.text import (
    DEFAULT_SPECIALS,
    CharTokenizer,
    Vocab,
    WordTokenizer,
    one_hot,
    pad_sequences,
)

# ----------------------------------------------------------------------------------- tokenizers


def test_char_tokenizer_keeps_every_character_by_default():
    assert CharTokenizer()("Ab c!") == ["A", "b", " ", "c", "!"]
    assert CharTokenizer(lower=True)("Ab") == ["a", "b"]
    assert CharTokenizer()("") == []


def test_char_tokenizer_filters_to_an_alphabet():
    tok = CharTokenizer(lower=True, keep="abc")
    assert tok("A-B-C-D") == ["a", "b", "c"]
    assert "keep='abc'" in repr(tok)


@pytest.mark.parametrize("tok", [CharTokenizer(), WordTokenizer()])
def test_tokenizers_reject_non_strings(tok):
    with pytest.raises(TypeError, match="expected a str, got int"):
        tok(3)


def test_word_tokenizer_lowercases_and_drops_punctuation():
    assert WordTokenizer()("Hello, World! It's 2024... x_y") == [
        "hello", "world", "it's", "2024", "x", "y"]


def test_word_tokenizer_keeps_punctuation_as_tokens():
    tok = WordTokenizer(lower=False, punctuation=True)
    assert tok("Hi, Bob! 'quoted' don't.") == [
        "Hi", ",", "Bob", "!", "'", "quoted", "'", "don't", "."]


def test_word_tokenizer_handles_unicode_letters_and_custom_patterns():
    assert WordTokenizer()("Café Über") == ["café", "über"]
    assert WordTokenizer(pattern=r"\S+")("a-b c.d") == ["a-b", "c.d"]
    assert WordTokenizer().tokenize("") == []


# ---------------------------------------------------------------------------------------- Vocab


def test_vocab_puts_the_specials_first_at_fixed_indices():
    v = Vocab(["x", "y"])
    assert v.itos[:4] == list(DEFAULT_SPECIALS) == ["<pad>", "<unk>", "<sos>", "<eos>"]
    assert (v.pad_index, v.unk_index, v.sos_index, v.eos_index) == (0, 1, 2, 3)
    assert v.stoi == {t: i for i, t in enumerate(v.itos)}
    assert len(v) == 6 and "x" in v and "z" not in v


def test_vocab_build_orders_by_frequency_then_alphabetically():
    docs = [["b", "a", "c", "b"], ["c", "b", "d"], ["a"]]
    v = Vocab.build(docs)
    # b: 3; a, c: 2 (alphabetical tie-break); d: 1
    assert v.itos[4:] == ["b", "a", "c", "d"]
    assert v.freqs == {"b": 3, "a": 2, "c": 2, "d": 1}
    assert Vocab.build(reversed(docs)).itos == v.itos  # independent of document order


def test_vocab_build_min_freq_and_max_size():
    docs = [["b", "a", "c", "b"], ["c", "b", "d"], ["a"]]
    assert Vocab.build(docs, min_freq=2).itos[4:] == ["b", "a", "c"]
    v = Vocab.build(docs, max_size=6)  # max_size counts the 4 specials
    assert len(v) == 6 and v.itos[4:] == ["b", "a"]
    assert Vocab.build(docs, max_size=4).itos == list(DEFAULT_SPECIALS)


def test_vocab_build_skips_tokens_that_are_specials_and_accepts_strings_as_char_lists():
    v = Vocab.build([["<pad>", "a", "<eos>"], "aab"])
    assert v.itos == [*DEFAULT_SPECIALS, "a", "b"]


def test_vocab_build_rejects_bad_arguments():
    with pytest.raises(ValueError, match="min_freq must be an int >= 1, got 0"):
        Vocab.build([["a"]], min_freq=0)
    with pytest.raises(ValueError, match=r"max_size must be an int >= the number of specials"):
        Vocab.build([["a"]], max_size=3)
    with pytest.raises(ValueError, match="specials must be distinct"):
        Vocab(specials=["<pad>", "<pad>"], unk_token=None)
    with pytest.raises(ValueError, match="unk_token '<oov>' is neither"):
        Vocab(["a"], unk_token="<oov>")
    with pytest.raises(TypeError, match="tokens must be str, got int"):
        Vocab([1])


def test_vocab_encode_maps_unknown_tokens_to_unk():
    v = Vocab(["hello", "world"])
    assert v.encode(["hello", "there", "world"]) == [4, 1, 5]
    assert v.encode(["world"], sos=True, eos=True) == [2, 5, 3]
    assert v["hello"] == 4 and v["nope"] == 1
    assert v.lookup_token(5) == "world"
    with pytest.raises(IndexError, match="index 6 out of range for a vocab of 6 tokens"):
        v.lookup_token(6)


def test_vocab_without_unk_raises_on_unknown_tokens():
    v = Vocab(["a"], specials=["<pad>"], unk_token=None)
    assert v.encode("aa") == [1, 1]  # a string is a sequence of characters
    with pytest.raises(KeyError, match="'b' is not in the vocabulary"):
        v.encode(["b"])
    with pytest.raises(KeyError, match="'b' is not in the vocabulary"):
        v["b"]
    with pytest.raises(AttributeError, match="no <sos> token"):
        v.sos_index


def test_vocab_decode_skips_specials_and_stops_at_eos():
    v = Vocab(["a", "b"])
    ids = [2, 4, 1, 5, 3, 4, 0]
    assert v.decode(ids) == ["a", "<unk>", "b"]
    assert v.decode(ids, stop_at_eos=False) == ["a", "<unk>", "b", "a"]
    assert v.decode(ids, skip_specials=False) == ["<sos>", "a", "<unk>", "b"]
    assert v.decode(np.array(ids)) == v.decode(lightgrad.tensor(ids)) == ["a", "<unk>", "b"]
    with pytest.raises(ValueError, match=r"expected a 1-D index sequence, got shape \(1, 7\)"):
        v.decode(np.array([ids]))


def test_vocab_round_trips_through_json(tmp_path):
    v = Vocab.build([["x", "y", "x"], ["z"]], specials=["<pad>", "<unk>"])
    d = v.to_dict()
    assert json.loads(json.dumps(d)) == d
    assert Vocab.from_dict(d) == v
    v.save(tmp_path / "vocab.json")
    w = Vocab.load(tmp_path / "vocab.json")
    assert w == v and w.stoi == v.stoi and w.encode(["z", "q"]) == v.encode(["z", "q"])


def test_vocab_load_rejects_bad_files(tmp_path):
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="is not JSON"):
        Vocab.load(tmp_path / "bad.json")
    with pytest.raises(ValueError, match="expected a dict with 'itos' and 'specials'"):
        Vocab.from_dict({"itos": []})
    with pytest.raises(ValueError, match="must start with the specials"):
        Vocab.from_dict({"itos": ["a", "<pad>"], "specials": ["<pad>"], "unk_token": None})
    with pytest.raises(ValueError, match="duplicate tokens"):
        Vocab.from_dict({"itos": ["<pad>", "a", "a"], "specials": ["<pad>"], "unk_token": None})


def test_vocab_repr():
    assert repr(Vocab(["a"])) == "Vocab(size=5, itos=['<pad>', '<unk>', '<sos>', '<eos>', 'a'])"


# ------------------------------------------------------------------------------- pad_sequences


def test_pad_sequences_keras_defaults_pad_and_truncate_at_the_front():
    out = pad_sequences([[1, 2, 3], [4, 5], [6]])
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [[1, 2, 3], [0, 4, 5], [0, 0, 6]])
    out = pad_sequences([[1, 2, 3, 4], [5]], maxlen=2)  # "pre" truncation keeps the end
    np.testing.assert_array_equal(out, [[3, 4], [0, 5]])


@pytest.mark.parametrize("padding,truncating,expected", [
    ("pre", "pre", [[2, 3, 4], [0, 5, 6], [0, 0, 0]]),
    ("post", "pre", [[2, 3, 4], [5, 6, 0], [0, 0, 0]]),
    ("pre", "post", [[1, 2, 3], [0, 5, 6], [0, 0, 0]]),
    ("post", "post", [[1, 2, 3], [5, 6, 0], [0, 0, 0]]),
])
def test_pad_sequences_modes(padding, truncating, expected):
    out = pad_sequences([[1, 2, 3, 4], [5, 6], []], maxlen=3, padding=padding,
                        truncating=truncating)
    np.testing.assert_array_equal(out, expected)


def test_pad_sequences_value_dtype_and_arrays():
    seqs = [np.array([0.5, 1.5]), np.array([2.5])]
    out = pad_sequences(seqs, value=-1.0, dtype="float32", padding="post")
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[0.5, 1.5], [2.5, -1.0]])
    # default int32 truncates floats toward zero, as numpy's cast does in Keras
    np.testing.assert_array_equal(pad_sequences(seqs), [[0, 1], [0, 2]])
    assert pad_sequences([[1]], maxlen=3, dtype=np.int64).dtype == np.int64


def test_pad_sequences_with_vector_elements():
    seqs = [np.ones((3, 2)), np.full((1, 2), 7.0), []]
    out = pad_sequences(seqs, dtype="float32")
    assert out.shape == (3, 3, 2)
    np.testing.assert_array_equal(out[1], [[0, 0], [0, 0], [7, 7]])
    np.testing.assert_array_equal(out[2], np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"shape of sample \(3,\) of sequence at position 1 is "
                                         r"different from expected shape \(2,\)"):
        pad_sequences([np.ones((1, 2)), np.ones((1, 3))])


def test_pad_sequences_edge_cases():
    assert pad_sequences([]).shape == (0, 0)
    assert pad_sequences([[], []]).shape == (2, 0)
    np.testing.assert_array_equal(pad_sequences([[1, 2]], maxlen=0), np.zeros((1, 0)))
    np.testing.assert_array_equal(pad_sequences(iter([[1], [2, 3]])), [[0, 1], [2, 3]])
    out = pad_sequences([["a", "b"], ["c"]], dtype=object, value="<pad>")
    assert out.tolist() == [["a", "b"], ["<pad>", "c"]]


def test_pad_sequences_rejects_bad_input():
    with pytest.raises(ValueError, match='padding type "middle" not understood'):
        pad_sequences([[1]], padding="middle")
    with pytest.raises(ValueError, match='truncating type "x" not understood'):
        pad_sequences([[1]], truncating="x")
    with pytest.raises(ValueError, match="must be a list of iterables; element 1 is int"):
        pad_sequences([[1], 5])
    with pytest.raises(ValueError, match="not compatible with `value`'s type str"):
        pad_sequences([[1]], value="x")
    with pytest.raises(ValueError, match="maxlen must be None or an int >= 0, got -1"):
        pad_sequences([[1]], maxlen=-1)


# ------------------------------------------------------------------------------------- one_hot


def test_one_hot_numpy():
    out = one_hot(np.array([[0, 2], [1, 0]]), 4)
    assert out.dtype == np.float32 and out.shape == (2, 2, 4)
    np.testing.assert_array_equal(out.argmax(-1), [[0, 2], [1, 0]])
    np.testing.assert_array_equal(out.sum(-1), np.ones((2, 2)))
    assert one_hot([1, 0]).shape == (2, 2)  # num_classes inferred
    assert one_hot([], 3).shape == (0, 3)
    assert one_hot(np.array([1], np.uint8), 2, dtype=np.int64).dtype == np.int64


def test_one_hot_tensor_goes_through_the_functional_op():
    t = lightgrad.tensor([[0, 2]])
    out = one_hot(t, 3)
    assert isinstance(out, lightgrad.Tensor) and out.dtype == lightgrad.float32
    assert out.tolist() == [[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]]
    assert one_hot(lightgrad.tensor([1], dtype=lightgrad.int32)).shape == (1, 2)
    np.testing.assert_array_equal(out.numpy(), one_hot(t.numpy(), 3))


def test_one_hot_rejects_bad_indices():
    with pytest.raises(ValueError, match="index 3 out of range for num_classes=3"):
        one_hot([0, 3], 3)
    with pytest.raises(ValueError, match="index -1 out of range"):
        one_hot([-1], 3)
    with pytest.raises(ValueError, match="indices must be integers, got dtype float64"):
        one_hot([0.5])
    with pytest.raises(ValueError, match="indices must be integers, got dtype float32"):
        one_hot(lightgrad.tensor([0.5]))
    with pytest.raises(ValueError, match="cannot infer num_classes"):
        one_hot(np.zeros(0, np.int64))


def test_text_pipeline_end_to_end():
    texts = ["Spam spam SPAM!", "ham and eggs"]
    tok = WordTokenizer()
    vocab = Vocab.build(tok(t) for t in texts)
    x = pad_sequences([vocab.encode(tok(t)) for t in texts], maxlen=4)
    emb = lightgrad.nn.Embedding(len(vocab), 3, padding_idx=vocab.pad_index)
    out = emb(lightgrad.from_numpy(x.astype(np.int64)))
    assert out.shape == (2, 4, 3)
    assert (out[0, 0] == 0).all()  # the padded step embeds to zeros
    assert vocab.decode(x[0]) == ["spam", "spam", "spam"]
