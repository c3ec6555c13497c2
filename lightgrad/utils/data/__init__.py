"""Datasets, samplers and DataLoader (``torch.utils.data``).

Example:
    >>> import lightgrad
    >>> from lightgrad.utils.data import DataLoader, TensorDataset
    >>> ds = TensorDataset(lightgrad.arange(6.0).reshape(3, 2), lightgrad.tensor([0, 1, 0]))
    >>> [yb.tolist() for xb, yb in DataLoader(ds, batch_size=2)]
    [[0, 1], [0]]
"""

from __future__ import annotations

from .dataloader import (
    DataLoader,
    WorkerInfo,
    default_collate,
    default_convert,
    get_worker_info,
)
from .dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__: list[str] = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StackDataset",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "WorkerInfo",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]
