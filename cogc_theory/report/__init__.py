r"""The main job: run a study and write a report folder (Markdown, plots, CSV, validation).

:func:`run_report` runs the stages of the study in order — formulas, outage curves, fading and
diversity, recovered-set distribution, outage as M grows, training, convergence bounds, proofs,
validation — and after **every** stage rewrites ``report.md``, so an interrupted run keeps what
was finished. A
stage that fails (a module missing, an error) is marked ``FAILED`` with the reason in the report
(the traceback goes to ``logs/<stage>.txt``) and the others still run. The folder::

    DIR/report.md            Markdown with LaTeX ($$...$$), figures embedded, pass/fail table
    DIR/figures/*.png|pdf    every figure in both formats
    DIR/data/*.csv           the numbers behind every figure
    DIR/validation.csv       the validation table with its evidence
    DIR/study.json           the study parameters
    DIR/logs/*.txt           tracebacks of failed stages

Every file is written to a temporary name and renamed when complete, so a file that is there
is complete. The folder must be new or empty; a folder that holds an earlier report is reused
only with ``overwrite=True`` (``cogc report --overwrite``), which first removes the files a
report writes (:func:`report_files`) and never any other file.

The library does not print: progress goes to the ``progress`` callable (the CLI passes one that
writes one line per stage, with timing, to stderr).

The package: ``_runner.py`` runs the stages and writes ``report.md`` (:func:`run_report`);
``_folder.py`` owns the folder (:func:`check_out_dir`, :func:`report_files`); ``_context.py``
is what a stage is given (``Context``: the study, the writers of figures and CSV) and the
names they may write (:data:`FIGURES`, :data:`DATA`); ``_stages.py`` lists the stages in order
(``STAGES``). The stages live by topic: ``_outage.py`` (formulas, outage, fading, recovered
set), ``_scale.py`` (outage as M grows), ``_training.py`` (training, bounds, crossover),
``_checks.py`` (proofs, validation), with shared helpers in ``_common.py``.

**Adding a stage** (e.g. "outage as M grows"):

1. Write ``def stage_name(ctx: Context) -> str`` in a stage module (a new ``_name.py``, or the
   module of its topic). It reads ``ctx.study``, writes data with
   ``ctx.write_csv("name", rows)`` and figures with ``ctx.savefig(fig, "name", caption)``
   (each returns the link to put in the text), and returns the section's Markdown. To keep
   a body but mark the section failed, raise ``Partial(body, reason)``; any other exception
   marks it failed with its traceback in ``logs/<key>.txt``. New study parameters go in
   :class:`cogc_theory.config.Study`.
2. List its figure and data names in :data:`FIGURES` / :data:`DATA` (``_context.py``), so
   that ``overwrite=True`` removes them (:func:`report_files`).
3. Add ``Stage("key", "Title", stage_name)`` to :data:`STAGES` (``_stages.py``) where it
   should run. ``cogc report --only key`` and the progress lines follow from there;
   ``tests/test_report.py`` checks that the quick study runs every stage.
"""

from ._context import DATA, FIGURES, Context, Partial
from ._folder import check_out_dir, report_files
from ._runner import ReportResult, Section, run_report
from ._stages import STAGES, Stage

__all__ = ["ReportResult", "Section", "check_out_dir", "report_files", "run_report"]

# the stage interface and the lists a new stage extends (see "Adding a stage" above)
_REEXPORTED = (DATA, FIGURES, STAGES, Context, Partial, Stage)
