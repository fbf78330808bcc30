"""``cogc check-decoder``: the conformance suite for a user's decoder (internal).

The command's logic is :func:`cogc_theory.testing.check_decoder_command`; it imports
hypothesis (the ``test`` extra), so it is loaded only when the command runs.
"""

from __future__ import annotations

import argparse

__all__ = ["cmd_check_decoder"]


def cmd_check_decoder(args: argparse.Namespace) -> int:
    """Run :func:`cogc_theory.testing.check_decoder_command` on the parsed options.

    Prints a pass/fail table by property; returns 0 if every property passed or was skipped,
    1 if one failed (bad options or an unimportable decoder raise ``ValueError``, which the
    entry point reports on one line with status 2).

    Examples
    --------
    >>> import contextlib, io
    >>> from cogc_theory.cli import build_parser
    >>> args = build_parser().parse_args(["check-decoder", "cogc_theory.decode:gcplus",
    ...                                   "--examples", "2", "--seed", "0",
    ...                                   "--only", "result types"])
    >>> buf = io.StringIO()
    >>> with contextlib.redirect_stdout(buf):
    ...     status = cmd_check_decoder(args)
    >>> status, "result types" in buf.getvalue()
    (0, True)
    """
    from ..testing import check_decoder_command

    return check_decoder_command(args)
