"""A character-level LSTM language model that invents English-looking words, sampled with a
temperature.

The corpus is the word list ``/usr/share/dict/words`` (the 52,271 lowercase words of 3-10
letters), shuffled with a fixed seed and joined with newlines: 27 symbols (a-z and ``\\n``). 90 %
of the words are the training text, the other 10 % the test text. The model reads 32 characters
and predicts each next one:

    Embedding(27, 32) -> LSTM(32, 128) -> Linear(128, 27)   (logits of the next character)

trained for 2,000 steps with Adam (learning rate annealed along a cosine) and cross-entropy
(gradients clipped at norm 1) on random 32-character windows of the training text. It is scored
by its bits per character on the test text, words it has never seen (the cross-entropy in base
2, read in long windows carrying the LSTM state along; perplexity = 2^bpc): a model that only
knew the letter frequencies needs 4.25 bits; the target is <= 2.85 (about 2.7 in practice; the
first letter of a word stays a guess worth about 4 bits, the rest is much more predictable).

Sampling feeds the model's own output back in: the next character is drawn from
``softmax(logits / temperature)``. A low temperature (0.5) picks safe, common letter patterns
(many generated words are real ones); 1.0 samples the model as it is; higher ones get wilder.
The fraction of generated words that are in the dictionary is reported for each temperature.

Run: ``python examples/char_lm.py [--quick]`` or ``lightgrad examples char_lm``.
Needs the word list: ``apt-get install -y wamerican`` (``make data``).
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

import lightgrad
from lightgrad import nn, optim
from lightgrad.datasets import load_words
from lightgrad.nn import functional as F

SYMBOLS = "\nabcdefghijklmnopqrstuvwxyz"  # index 0 is the newline ending each word
SEQ_LEN = 32  # a word is at most 11 symbols: 32 always reach back past the last newline
EMBED, HIDDEN = 32, 128
STEPS = 2000
BATCH_SIZE = 64
LEARNING_RATE = 5e-3
TEMPERATURES = (0.5, 1.0, 1.5)
TARGET_BPC = 2.85


class CharLM(nn.Module):
    def __init__(self, vocab_size: int, embed: int = EMBED, hidden: int = HIDDEN) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed)
        self.lstm = nn.LSTM(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, x: lightgrad.Tensor, state=None):
        out, state = self.lstm(self.embedding(x), state)  # (N, T) -> (N, T, E) -> (N, T, H)
        return self.head(out), state  # (N, T, V)


def encode(text: str) -> np.ndarray:
    lookup = {c: i for i, c in enumerate(SYMBOLS)}
    return np.fromiter((lookup[c] for c in text), dtype=np.int64, count=len(text))


def bits_per_char(model: CharLM, codes: np.ndarray, chunk: int = 256, rows: int = 16) -> float:
    """Cross-entropy in bits of each character given all the ones before it (the text is cut
    into ``rows`` parallel streams read ``chunk`` characters at a time, the state carried)."""
    n = (len(codes) - 1) // rows * rows
    x = codes[:n].reshape(rows, -1)
    y = codes[1:n + 1].reshape(rows, -1)
    model.eval()
    total, state = 0.0, None
    with lightgrad.no_grad():
        for start in range(0, x.shape[1], chunk):
            xb, yb = x[:, start:start + chunk], y[:, start:start + chunk]
            logits, state = model(lightgrad.from_numpy(xb), state)
            loss = F.cross_entropy(logits.reshape(-1, len(SYMBOLS)),
                                   lightgrad.from_numpy(yb.reshape(-1)), reduction="sum")
            total += loss.item()
    model.train()
    return total / n / math.log(2)


def sample(model: CharLM, n_words: int, temperature: float, generator: lightgrad.Generator,
           max_len: int = 16) -> list[str]:
    """``n_words`` words, generated in parallel, each from a newline to the next newline."""
    model.eval()
    words = [""] * n_words
    done = np.zeros(n_words, dtype=bool)
    prev = np.zeros((n_words, 1), dtype=np.int64)  # start after a newline
    state = None
    with lightgrad.no_grad():
        for _ in range(max_len):
            logits, state = model(lightgrad.from_numpy(prev), state)  # (n, 1, V)
            # softmax(logits / T): T < 1 sharpens the distribution, T > 1 flattens it
            p = F.softmax(logits[:, -1] / temperature, dim=-1)
            nxt = lightgrad.multinomial(p, 1, generator=generator)[:, 0].numpy()
            for i, c in enumerate(nxt):
                if not done[i]:
                    if c == 0:
                        done[i] = True
                    else:
                        words[i] += SYMBOLS[c]
            if done.all():
                break
            prev = nxt[:, None]
    model.train()
    return [w for w in words if w]


def main(quick: bool = False, steps: int | None = None) -> dict:
    """Train the character LSTM, report test bits per character and temperature samples.

    Args:
        quick: a smoke run (10 steps; no target).
        steps: override the number of training steps.
    """
    lightgrad.manual_seed(0)
    rng = np.random.default_rng(0)
    steps = steps or (10 if quick else STEPS)
    words = load_words()
    order = rng.permutation(len(words))
    n_test = len(words) // 10
    test_words = [words[i] for i in order[:n_test]]
    train_words = [words[i] for i in order[n_test:]]
    train = encode("\n" + "\n".join(train_words) + "\n")
    test = encode("\n" + "\n".join(test_words[:500] if quick else test_words) + "\n")
    freqs = np.bincount(train, minlength=len(SYMBOLS)) / len(train)
    unigram_bpc = float(-(np.bincount(test, minlength=len(SYMBOLS)) / len(test)
                          * np.log2(freqs)).sum())
    print(f"{len(train):,} training / {len(test):,} test characters; letter frequencies alone: "
          f"{unigram_bpc:.2f} bits per character")

    model = CharLM(len(SYMBOLS))
    optimizer = optim.Adam(model.parameters(), lr=LEARNING_RATE)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    offsets = np.arange(SEQ_LEN + 1)
    start, running = time.perf_counter(), None
    for step in range(steps):
        rows = rng.integers(0, len(train) - SEQ_LEN - 1, size=BATCH_SIZE)[:, None] + offsets
        chunk = train[rows]  # (N, 33): inputs are the first 32, targets the last 32
        x, y = lightgrad.from_numpy(chunk[:, :-1]), lightgrad.from_numpy(chunk[:, 1:])
        optimizer.zero_grad()
        logits, _ = model(x)  # (N, 32, 27)
        loss = F.cross_entropy(logits.reshape(-1, len(SYMBOLS)), y.reshape(-1))
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        running = loss.item() if running is None else 0.95 * running + 0.05 * loss.item()
        if (step + 1) % max(1, steps // 5) == 0:
            print(f"step {step + 1:5d}  train loss {running / math.log(2):.3f} bits/char  "
                  f"({time.perf_counter() - start:.0f} s)")
    seconds = time.perf_counter() - start

    bpc = bits_per_char(model, test)
    print(f"test: {bpc:.3f} bits per character, perplexity {2 ** bpc:.2f} "
          f"(letter frequencies alone: {unigram_bpc:.2f} bits)")
    dictionary = set(words)
    sampler = lightgrad.Generator().manual_seed(1)
    metrics = {"bpc": bpc, "perplexity": 2 ** bpc, "unigram_bpc": unigram_bpc,
               "steps": steps, "seconds": seconds}
    for t in TEMPERATURES:
        generated = sample(model, 200, t, sampler)
        real = float(np.mean([w in dictionary for w in generated])) if generated else 0.0
        print(f"temperature {t}: {' '.join(generated[:12])}  "
              f"({real:.0%} of {len(generated)} are dictionary words)")
        metrics[f"real_words_t{t}"] = real
    print(f"({seconds:.0f} s of training)")
    if not quick:
        assert bpc <= TARGET_BPC, f"char LM: test {bpc:.3f} bits per character > {TARGET_BPC}"
    return metrics


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds' smoke run")
    parser.add_argument("--steps", type=int, default=None)
    args = parser.parse_args()
    main(quick=args.quick, steps=args.steps)
