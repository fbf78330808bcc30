"""The entry point of ``cogc`` (internal; ``cogc_theory.cli:main`` is the console script)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ._common import PROG, CLIError, err
from ._parser import build_parser

__all__ = ["main"]


def _one_line(exc: BaseException) -> str:
    msg = str(exc).strip() or type(exc).__name__
    return " ".join(msg.split())


def main(argv: Sequence[str] | None = None) -> int:
    r"""Entry point of ``cogc``; returns the exit status.

    Examples
    --------
    ``cogc outage`` for the :math:`M=4` ring (the CoGC value is
    :math:`1-0.72^4-4\cdot0.72^3\cdot0.28`); errors are one line on stderr and exit status 2:

    >>> from cogc_theory.cli import main
    >>> main(["outage", "-M", "4", "-s", "1", "-p", "0.1", "-e", "0.2", "--decoder", "standard"])
    CoGC (standard decoding): P_out = 0.31322...
    0
    >>> main(["outage", "-M", "1", "-s", "1"])    # stderr: "cogc: error: M must be >= 2, ..."
    2
    """
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if getattr(args, "func", None) is None:
            parser.print_help(sys.stderr)
            return 2
        return int(args.func(args))
    except CLIError as exc:
        err(f"{PROG}: error: {_one_line(exc)}")
        return exc.code
    except KeyboardInterrupt as exc:
        # commands re-raise with what was kept (or that nothing was written)
        detail = " ".join(str(exc).split())
        err(f"{PROG}: interrupted" + (f"; {detail}" if detail else ""))
        return 130
    except (ValueError, TypeError, KeyError, ArithmeticError) as exc:
        err(f"{PROG}: error: {_one_line(exc)}")
        return 2
    except ImportError as exc:
        err(f"{PROG}: error: a required module is missing: {_one_line(exc)}")
        return 1
    except OSError as exc:
        err(f"{PROG}: error: {_one_line(exc)}")
        return 1
    except SystemExit as exc:   # argparse --help / --version
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    except Exception as exc:  # noqa: BLE001 - never a traceback
        err(f"{PROG}: error: internal error ({type(exc).__name__}): {_one_line(exc)}")
        return 1
