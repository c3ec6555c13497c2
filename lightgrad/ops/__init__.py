"""The primitive ops, by family. Importing this package attaches the Tensor methods."""

from . import (  # noqa: F401  (import order: convert and arithmetic first)
    convert,
    arithmetic,
    operators,
    unary,
    activation,
    reduce,
    movement,
    indexing,
    linalg,
)
