"""Time-series forecasting with an LSTM: yearly sunspots and weekly Mauna Loa CO2, each against
the persistence baseline ("next value = last value").

Both series come with statsmodels (its ``datasets/*.csv`` files; nothing is downloaded):

* sunspots: the yearly mean sunspot number 1700-2008 (309 values, the ~11-year solar cycle);
  predict next year from the last 20 years; the last 60 years are the test period.
* CO2: weekly ppm at Mauna Loa 1958-2001 (2,284 weeks; the 59 missing weeks linearly
  interpolated by ``load_co2``); predict next week from the last 52 weeks; the last quarter of
  the windows (about 10 years) is the test period. A rising trend plus a yearly cycle.

Each series becomes windows ``x_1..x_W`` -> ``y`` (``sliding_windows``) and the network learns
the *change* ``y - x_W``, so it starts from the persistence forecast and has to learn a
correction: the inputs are the window relative to its last value, ``(x_t - x_W) / s`` (plus,
for the sunspots, the level ``x_t / s``, since how high the cycle is tells where it goes next;
CO2's level keeps rising out of the training range and is left out). ``s`` is the training
targets' scale. The model is

    LSTM(F, 32) over the W steps -> last output -> Linear(32, 1)

trained with Adam on the mean squared error. It is scored by the RMSE on the test period, in
the series' units, against persistence's (target: lower for both; measured 17.4 vs 32.9
sunspots and 0.41 vs 0.52 ppm, about 25 s on two shared cores).

Run: ``python examples/sunspots_lstm.py [--quick]`` or ``lightgrad examples sunspots_lstm``.
Needs statsmodels' data files: ``make data`` (or ``pip install statsmodels``).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np

import lightgrad
from lightgrad import nn, optim
from lightgrad.datasets import load_co2, load_sunspots, sliding_windows
from lightgrad.utils.data import DataLoader, TensorDataset

HIDDEN = 32
BATCH_SIZE = 64
LEARNING_RATE = 3e-3


@dataclass
class Series:
    name: str
    unit: str
    values: np.ndarray  # (T,)
    window: int
    n_test: int  # windows held out at the end
    use_level: bool
    epochs: int


class Forecaster(nn.Module):
    def __init__(self, features: int, hidden: int = HIDDEN) -> None:
        super().__init__()
        self.lstm = nn.LSTM(features, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: lightgrad.Tensor) -> lightgrad.Tensor:
        out, _ = self.lstm(x)  # (N, W, F) -> (N, W, H)
        return self.head(out[:, -1]).squeeze(1)  # the last step -> (N,)


def features(windows: np.ndarray, scale: float, use_level: bool) -> np.ndarray:
    """(N, W) windows -> (N, W, F) network inputs."""
    rel = (windows - windows[:, -1:]) / scale  # the shape of the window, ending at 0
    if not use_level:
        return rel[..., None].astype(np.float32)
    return np.stack([rel, windows / scale], axis=-1).astype(np.float32)


def rmse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((a - b) ** 2)))


def forecast(series: Series, quick: bool = False) -> dict:
    """Train on the early windows, forecast the held-out late ones; RMSEs vs persistence."""
    X, y = sliding_windows(series.values.astype(np.float64), series.window)  # (N, W), (N,)
    n_train = len(X) - series.n_test
    change = y - X[:, -1]  # what the network predicts
    scale = float(change[:n_train].std())
    inputs = features(X, scale, series.use_level)
    targets = (change / scale).astype(np.float32)
    loader = DataLoader(TensorDataset(inputs[:n_train], targets[:n_train]),
                        batch_size=BATCH_SIZE, shuffle=True,
                        generator=lightgrad.Generator().manual_seed(1))
    model = Forecaster(inputs.shape[-1])
    optimizer = optim.Adam(model.parameters(), lr=LEARNING_RATE)
    epochs = 1 if quick else series.epochs
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    loss_fn = nn.MSELoss()
    for epoch in range(epochs):
        total = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(yb)
        scheduler.step()
        if (epoch + 1) % max(1, epochs // 4) == 0:
            print(f"  {series.name} epoch {epoch + 1:3d}  train mse {total / n_train:.4f}")

    model.eval()
    with lightgrad.no_grad():
        pred_change = model(lightgrad.from_numpy(inputs[n_train:])).numpy() * scale
    last = X[n_train:, -1]
    lstm_rmse = rmse(last + pred_change, y[n_train:])
    persistence_rmse = rmse(last, y[n_train:])
    print(f"{series.name}: test RMSE {lstm_rmse:.3f} {series.unit} (LSTM) vs "
          f"{persistence_rmse:.3f} (persistence) over {series.n_test} test windows")
    return {"rmse": lstm_rmse, "persistence_rmse": persistence_rmse}


def main(quick: bool = False) -> dict:
    """Forecast sunspots and CO2; both LSTMs must beat persistence (not checked when quick).

    Args:
        quick: a smoke run (1 epoch each, a shortened CO2 series; no target).
    """
    lightgrad.manual_seed(0)
    _, sunspots = load_sunspots()
    _, co2 = load_co2(missing="interpolate")
    if quick:
        co2 = co2[:400]
    all_series = [
        Series("sunspots", "sunspots", sunspots, window=20, n_test=60, use_level=True,
               epochs=150),
        Series("co2", "ppm", co2, window=52, n_test=(len(co2) - 52) // 4, use_level=False,
               epochs=30),
    ]
    metrics: dict = {}
    start = time.perf_counter()
    for s in all_series:
        for k, v in forecast(s, quick).items():
            metrics[f"{s.name}_{k}"] = v
    metrics["seconds"] = time.perf_counter() - start
    print(f"({metrics['seconds']:.0f} s of training)")
    if not quick:
        for s in all_series:
            lstm, base = metrics[f"{s.name}_rmse"], metrics[f"{s.name}_persistence_rmse"]
            assert lstm < base, f"{s.name}: LSTM RMSE {lstm:.3f} >= persistence {base:.3f}"
    return metrics


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds' smoke run")
    main(quick=parser.parse_args().quick)
