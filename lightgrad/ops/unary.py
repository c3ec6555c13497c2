"""(filled in by the unary family)."""

__all__: list[str] = []
