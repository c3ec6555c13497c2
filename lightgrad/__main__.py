"""``python -m lightgrad``: the ``lightgrad`` command (see :mod:`lightgrad.cli`)."""

import sys

from .cli import main

sys.exit(main())
