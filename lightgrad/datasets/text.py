"""Text and sequence datasets: words, SpamAssassin, tweets, sunspots/CO2, toy sequences."""

from __future__ import annotations

__all__: list[str] = []
