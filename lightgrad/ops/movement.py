"""(filled in by the movement family)."""

__all__: list[str] = []
