"""lightgrad's benchmark suite beside PyTorch (``make bench``); see ``benchmarks/suite.py``."""
