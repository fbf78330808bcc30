"""The ``cogc`` command line (``cogc_theory.cli:main``).

``cogc report --out DIR`` runs the main job; the other subcommands expose each part. Every
scenario parameter is an option and may also come from ``--config FILE.toml`` (a
``[scenario]`` table; options given on the command line win). Errors are one line on stderr
(``cogc: error: ...``) and a non-zero exit status; Ctrl-C exits with status 130.

Exit status: 0 success; 1 a failed check, validation row or report stage; 2 bad usage or bad
input; 130 interrupted.

Every input, including each ``--out``, is checked before any work starts; options that would be
ignored (``--json`` with ``--symbolic``, ``--out`` for ``simulate`` without ``--train``, ...)
are refused. Files are written to a temporary name and renamed when complete
(:mod:`cogc_theory._io`), so a file that is there is complete.

Modules: :mod:`._main` (the entry point and its one-line errors), :mod:`._parser` (options,
one builder per subcommand), :mod:`._common` (scenario, ``--out`` checks),
:mod:`._analysis` (outage, bound, plot), :mod:`._simulate` (simulate), :mod:`._jobs` (sweep,
prove, validate, report), :mod:`._check` (check-decoder).
"""

from ._common import PROG, CLIError
from ._main import main
from ._parser import build_parser

__all__ = ["PROG", "CLIError", "build_parser", "main"]
