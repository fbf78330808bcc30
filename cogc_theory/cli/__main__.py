"""``python -m cogc_theory.cli``: the ``cogc`` command."""

import sys

from ._main import main

if __name__ == "__main__":
    sys.exit(main())
