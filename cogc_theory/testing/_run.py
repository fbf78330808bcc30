"""Running the conformance suite: probing what the decoder supports, one hypothesis run per
property, :func:`run_conformance` and :func:`check_decoder` (public through
:mod:`cogc_theory.testing`)."""

from __future__ import annotations

import inspect
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

import hypothesis
import numpy as np
import sympy as sp
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Flaky, Unsatisfiable

from ..vocabulary import RULES
from ._cases import Case, case_strategy, ladder, probe_case, special_cases
from ._checks import Ctx, Fail
from ._matrices import COND_MAX, TOL, check_cond_max, k_max_for
from ._properties import CHECKS, PROPERTIES
from ._report import ConformanceReport, PropertyResult
from ._strategies import gc_matrices

__all__ = ["SHRINK_SECONDS", "check_decoder", "run_conformance"]


#: Seconds a failing property may spend shrinking its counterexample (the smallest failing
#: case found by then is reported); all properties together spend at most 4 times this.
SHRINK_SECONDS = 5.0
_SHRINK_TOTAL = 4 * SHRINK_SECONDS


def _accepts_rule(fn: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.name == "rule" and p.kind != p.POSITIONAL_ONLY or p.kind == p.VAR_KEYWORD
               for p in params)


def _try(ctx: Ctx, mode: str, mat: Any, mask: np.ndarray) -> str | None:
    try:
        ctx.invoke(mode, mat, mask)
    except Fail as f:
        return f.detail
    return None


def _probe(ctx: Ctx, rules: tuple[str, ...] | None, batched: bool | None,
           exact: bool | None) -> tuple[list[str], dict[str, str]]:
    """Settle modes, batched forms and exact support; return (notes, skipped rows)."""
    notes: list[str] = []
    skips: dict[str, str] = {}
    case = probe_case()
    mat, mask = ctx.inputs(case)
    if ctx.kind == "gcplus" and ctx.modes != ("full-only",):
        if rules is None and not ctx.rule_kw:
            ctx.modes = ("max-subset",)
            notes.append("fn takes no rule= keyword: tested as rule 'max-subset' (declare "
                         "rules=[...] or full_only=True otherwise)")
        elif rules is None:
            ok, refused = [], []
            for r in RULES:
                why = _try(ctx, r, mat, mask)
                (refused.append(f"'{r}' ({why.split(' raised ', 1)[-1]})") if why
                 else ok.append(r))
            if ok:
                ctx.modes = tuple(ok)
                if refused:
                    notes.append("not tested, fn raised on a small case with rule "
                                 + "; ".join(refused) + " (declare rules= to choose)")
    forms = ("stack", "shared") if ctx.kind == "gcplus" else ("shared",)
    if batched is False:
        skips["batched"] = "not declared (batched=False)"
    elif batched is None:
        found = []
        for form in forms:
            bm = np.stack([mat, mat]) if form == "stack" else mat
            why = _try(ctx, ctx.modes[0], bm, np.stack([mask, mask]))
            if why is None:
                found.append(form)
        if found:
            ctx.forms = tuple(found)
        else:
            skips["batched"] = ("fn raised on a batch of 2 trials (declare batched=True to "
                                "require batches, batched=False to silence this)")
    else:
        ctx.forms = forms
    if exact is False:
        skips["exact input"] = "not declared (exact=False)"
    elif exact is None:
        why = _try(ctx, ctx.modes[0], sp.Matrix(ctx.exact_inputs(case)[0]), mask)
        if why is None:
            ctx.exact = True
        else:
            skips["exact input"] = (f"fn raised on a sympy Matrix ({why.split(' raised ', 1)[-1]}"
                                    "); declare exact=True to require it, exact=False to "
                                    "silence this")
    else:
        ctx.exact = True
    return notes, skips



def _fn_name(fn: Callable[..., Any]) -> str:
    mod = getattr(fn, "__module__", None) or ""
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn)
    return f"{mod}.{name}" if mod else name


def _parse_reproduce(reproduce: Any) -> tuple[str, bytes] | None:
    if reproduce is None:
        return None
    if not isinstance(reproduce, str) or ":" not in reproduce:
        raise ValueError("reproduce must be 'property:blob' as printed by a failure, got "
                         f"{reproduce!r}")
    name, blob = reproduce.rsplit(":", 1)
    if name not in PROPERTIES:
        raise ValueError(f"reproduce names unknown property {name!r}; properties: "
                         f"{', '.join(PROPERTIES)}")
    return name, blob.strip().encode()


_UNSEEN = object()


class _Budget:
    """Shrinking time left for the whole run."""

    def __init__(self) -> None:
        self.left = _SHRINK_TOTAL


def _run_property(ctx: Ctx, name: str, strategy: st.SearchStrategy,
                  max_examples: int | None, seed: int | None,
                  reproduce: bytes | None, budget: _Budget) -> PropertyResult:
    check = CHECKS[name]
    memo: dict[tuple, Fail | None] = {}
    state: dict[str, Any] = {"n": 0, "first": None}
    limit = min(SHRINK_SECONDS, budget.left)

    def body(case: Case) -> None:
        f = memo.get(case.key, _UNSEEN)
        if f is _UNSEEN:
            if state["first"] is not None and time.perf_counter() - state["first"] > limit:
                return     # shrink budget spent: unseen cases pass, so shrinking ends here
            try:
                check(ctx, case)
                f = None
            except Fail as exc:
                exc.case = case
                f = exc
                if state["first"] is None:
                    state["first"] = time.perf_counter()
            memo[case.key] = f
            state["n"] += 1
        if f is not None:
            raise f.copy()     # one raise site: hypothesis tells failures apart by it

    body._hypothesis_internal_add_digest = (  # type: ignore[attr-defined]
        f"cogc check_decoder|{name}|{ctx.kind}|{ctx.modes}|{_fn_name(ctx.fn)}".encode())
    kw: dict[str, Any] = dict(deadline=None, suppress_health_check=list(HealthCheck),
                              report_multiple_bugs=False, print_blob=True,
                              phases=(Phase.explicit, Phase.reuse, Phase.generate,
                                      Phase.shrink))
    if max_examples is not None:
        kw["max_examples"] = max_examples
    if seed is not None:
        kw["database"] = None
    test = given(case=strategy)(body)
    explicit: tuple[Case, ...] = ()
    if name in ("certificate", "claims", "exact oracle", "deterministic"):
        explicit += special_cases()
    if name == "exact oracle":
        explicit += ladder(k_max_for(ctx.cond_max))
    for case in reversed(explicit):
        test = hypothesis.example(case=case)(test)
    test = settings(**kw)(test)
    if seed is not None:
        test = hypothesis.seed(seed)(test)
    if reproduce is not None:
        test = hypothesis.reproduce_failure(hypothesis.__version__, reproduce)(test)
    t0 = time.perf_counter()
    try:
        test()
    except Fail as f:
        notes = " ".join(getattr(f, "__notes__", []))
        m = re.search(r"reproduce_failure\('[^']*', b'([^']*)'\)", notes)
        if state["first"] is not None:
            budget.left -= min(limit, time.perf_counter() - state["first"])
        return PropertyResult(name, "fail", state["n"], time.perf_counter() - t0, f.text(),
                              f"{name}:{m.group(1)}" if m else None)
    except Flaky as exc:
        return PropertyResult(name, "fail", state["n"], time.perf_counter() - t0,
                              "same input, same result: a failure did not repeat when the "
                              f"case was run again (hypothesis: {type(exc).__name__})")
    except Unsatisfiable:
        return PropertyResult(name, "error", state["n"], time.perf_counter() - t0,
                              f"no case met the limits (cond_max={ctx.cond_max:g}, "
                              f"tol={ctx.tol:g}); raise cond_max or tol")
    return PropertyResult(name, "pass", state["n"], time.perf_counter() - t0)


def run_conformance(fn: Callable[..., Any], *, kind: str = "gcplus",
                    rules: Sequence[str] | None = None, full_only: bool = False,
                    batched: bool | None = None, exact: bool | None = None,
                    max_examples: int | None = None, seed: int | None = None,
                    tol: float = TOL, cond_max: float = COND_MAX,
                    matrices: st.SearchStrategy | None = None,
                    properties: Sequence[str] | None = None, reproduce: str | None = None,
                    progress: Callable[[ConformanceReport, PropertyResult | None], None]
                    | None = None) -> ConformanceReport:
    """Run the conformance suite and return the report (never raises for a failing decoder).

    The parameters are those of :func:`check_decoder`, plus ``progress``, called with the
    report once before the first property (result ``None``: the decoder has been probed, the
    header is known) and then with each :class:`PropertyResult` as it finishes.

    Examples
    --------
    >>> from cogc_theory import decode
    >>> report = run_conformance(decode.gcplus, max_examples=3, seed=0,
    ...                          properties=["result types", "certificate"])
    >>> report.passed, [r.status for r in report.results]
    (True, ['pass', 'pass'])
    >>> print(report.table())                                  # doctest: +ELLIPSIS
    conformance of cogc_theory.decode...gcplus (GC+ rules max-subset, individual, least-squares)
    property          result examples seconds  notes
    result types      PASS  ...
    certificate       PASS  ...
    PASSED: 2 passed, 0 failed, 0 skipped (... s)
    """
    if kind not in ("gcplus", "standard"):
        raise ValueError(f"kind must be 'gcplus' or 'standard', got {kind!r}")
    if not callable(fn):
        raise TypeError(f"fn must be callable (a decoder function), got {type(fn).__name__}")
    if rules is not None:
        if isinstance(rules, str):
            rules = (rules,)
        rules = tuple(rules)
        bad = [r for r in rules if r not in RULES]
        if bad or not rules:
            raise ValueError(f"rules must be a non-empty subset of {RULES}, got "
                             f"{list(rules)}")
        if kind == "standard":
            raise ValueError("rules apply to kind='gcplus' only (standard decoding has none)")
    for name, v in (("batched", batched), ("exact", exact)):
        if v is not None and not isinstance(v, bool):
            raise TypeError(f"{name} must be True, False or None (probe), got {v!r}")
    if not isinstance(full_only, bool):
        raise TypeError(f"full_only must be a bool, got {full_only!r}")
    if full_only and (kind == "standard" or rules is not None):
        raise ValueError("full_only=True is for a GC+ decoder without partial rules: use it "
                         "with kind='gcplus' and without rules=")
    if max_examples is not None and (isinstance(max_examples, bool)
                                     or not isinstance(max_examples, int) or max_examples < 1):
        raise ValueError(f"max_examples must be a positive integer or None (the hypothesis "
                         f"profile's), got {max_examples!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise TypeError(f"seed must be an int or None (explore), got {seed!r}")
    if isinstance(tol, bool) or not isinstance(tol, int | float) or not 0 < tol <= 1e-2:
        raise ValueError(f"tol must lie in (0, 1e-2] (default {TOL:g}), got {tol!r}")
    cond_max = check_cond_max(cond_max)
    props = PROPERTIES if properties is None else tuple(properties)
    bad = [p for p in props if p not in PROPERTIES]
    if bad:
        raise ValueError(f"unknown properties {bad}; choose from {', '.join(PROPERTIES)}")
    repro = _parse_reproduce(reproduce)
    if repro is not None:
        props = (repro[0],)
    if kind == "standard":
        modes: tuple[str, ...] = ("standard",)
    elif full_only:
        modes = ("full-only",)
    else:
        modes = rules if rules is not None else RULES
    rule_kw = _accepts_rule(fn)
    if kind == "gcplus" and not full_only and rules is not None and len(rules) > 1 \
            and not rule_kw:
        raise ValueError(f"fn takes no rule= keyword, so it can implement one rule only; "
                         f"rules names {len(rules)}")
    ctx = Ctx(fn, kind, modes, rule_kw, float(tol), cond_max)
    notes, skips = _probe(ctx, rules, batched, exact)
    args, cli_args = [], []
    if kind != "gcplus":
        args.append(f"kind={kind!r}")
        cli_args.append(f"--kind {kind}")
    if rules is not None:
        args.append(f"rules={list(rules)!r}")
        cli_args.append(f"--rules {','.join(rules)}")
    if full_only:
        args.append("full_only=True")
        cli_args.append("--full-only")
    for n, v in (("batched", batched), ("exact", exact)):
        if v is not None:
            args.append(f"{n}={v!r}")
            cli_args.append(f"--{n}" if v else f"--no-{n}")
    for n, v, d in (("tol", tol, TOL), ("cond_max", cond_max, COND_MAX)):
        if v != d:
            args.append(f"{n}={v!r}")
            cli_args.append(f"--{n.replace('_', '-')} {v!r}")
    report = ConformanceReport(_fn_name(fn), kind, ctx.modes, notes=notes, args=args,
                               cli_args=cli_args)
    mats = matrices if matrices is not None else gc_matrices(exact=True, max_M=6)
    k_max = k_max_for(cond_max)
    budget = _Budget()
    if progress is not None:
        progress(report, None)
    for name in PROPERTIES:
        if name not in props:
            continue
        if name in skips:
            res = PropertyResult(name, "skip", detail=skips[name])
        else:
            families = ("nice", "ultra") if name == "exact input" else ("nice", "hard")
            res = _run_property(ctx, name, case_strategy(families, mats, k_max), max_examples, seed,
                                repro[1] if repro else None, budget)
        report.results.append(res)
        if progress is not None:
            progress(report, res)
    return report


def check_decoder(fn: Callable[..., Any], *, kind: str = "gcplus",
                  rules: Sequence[str] | None = None, full_only: bool = False,
                  batched: bool | None = None, exact: bool | None = None,
                  max_examples: int | None = None, seed: int | None = None,
                  tol: float = TOL, cond_max: float = COND_MAX,
                  matrices: st.SearchStrategy | None = None,
                  properties: Sequence[str] | None = None,
                  reproduce: str | None = None) -> ConformanceReport:
    r"""Run the conformance suite against a decoder; raise :class:`AssertionError` on failure.

    Parameters
    ----------
    fn : callable
        ``kind="gcplus"``: ``fn(Bt, arrived, rule=rule)`` with float ``Bt`` (M, M) and bool
        ``arrived`` (M,); ``kind="standard"``: ``fn(B, received)``. It returns an object with
        ``full`` (bool), ``recovered`` (bool (M,)), ``weights`` and ``target`` ((M,)) such
        that ``weights @ Bt == target`` (standard: ``weights @ B``).
    kind : {"gcplus", "standard"}
    rules : sequence of str, optional
        GC+ rules the decoder implements (subset of :data:`cogc_theory.decode.RULES`);
        default: those it accepts on a small case (all three for a decoder that checks
        ``rule``; ``"max-subset"`` if it has no ``rule`` parameter). With a single rule,
        a decoder without a ``rule`` parameter is called without it.
    full_only : bool
        A GC+ decoder that decides full recovery only: ``full`` must match the oracle and
        the outcome is all or nothing (``recovered`` empty and ``target`` zero otherwise).
    batched, exact : bool or None
        Whether the decoder handles a leading trials axis / sympy matrices of rationals:
        ``True`` tests it, ``False`` skips it, ``None`` (default) tests it if the decoder
        accepts a small instance without raising.
    max_examples : int, optional
        Hypothesis examples per property (default: the current hypothesis profile's, 100
        unless changed); each example calls ``fn`` a few times per rule.
    seed : int, optional
        ``None`` (default) explores: new cases each run, failures saved in and replayed
        from hypothesis's example database. An int gives a fixed run without the database.
    tol : float
        Certificate tolerance (:math:`\max_k|(a^\top A-t)_k|\le\mathrm{tol}\,
        (1+\max_k\sum_i|a_iA_{ik}|)`), least-squares target tolerance, and the smallest
        distance from the row space of a target that is not in it (see *Limits* in the
        module docstring). In :math:`(0, 10^{-2}]`, default :math:`10^{-7}`.
    cond_max : float
        Largest condition number of a case's used rows, in :math:`[10, 10^{12}]`;
        default :math:`10^7` (see *Limits* in the module docstring).
    matrices : hypothesis strategy, optional
        Matrices (sympy rationals or floats, converted exactly) for the well-conditioned
        half of the cases; default ``gc_matrices(exact=True, max_M=6)``. The hard half is
        always :func:`near_singular_matrices`.
    properties : sequence of str, optional
        Run only these of :data:`PROPERTIES`.
    reproduce : str, optional
        ``"property:blob"`` printed with a failure: replay exactly that case.

    Returns
    -------
    ConformanceReport
        When every property passed or was skipped; ``print(report.table())`` shows it.

    Raises
    ------
    AssertionError
        If a property fails: the table, then for each failing property the violated
        statement, the call, what the decoder returned, the exact oracle's answer, the
        (shrunk) case as pasteable numpy code and the argument that replays it.
    ValueError, TypeError
        Bad arguments.

    Notes
    -----
    Call it from a plain test function, not from inside a ``@hypothesis.given`` test
    (hypothesis does not nest). Its own tests use ``seed=0``.

    Examples
    --------
    The built-in decoders pass; a decoder that always claims full recovery does not:

    >>> import dataclasses
    >>> from cogc_theory import decode
    >>> check_decoder(decode.standard, kind="standard", max_examples=5, seed=0).passed
    True
    >>> def overconfident(B, received):
    ...     return dataclasses.replace(decode.standard(B, received), full=True)
    >>> check_decoder(overconfident, kind="standard", max_examples=5, seed=0,
    ...               properties=["claims"])                  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    AssertionError: check_decoder: the decoder fails the conformance suite
    ...
    property 'claims' fails: target matches the claim
      fn(B, received): full=True needs every client recovered and target all ones; ...
      case (...), M = ...:
        B = np.array(...
    """
    report = run_conformance(fn, kind=kind, rules=rules, full_only=full_only, batched=batched,
                             exact=exact, max_examples=max_examples, seed=seed, tol=tol,
                             cond_max=cond_max, matrices=matrices, properties=properties,
                             reproduce=reproduce)
    if not report.passed:
        raise AssertionError("check_decoder: the decoder fails the conformance suite\n"
                             + str(report))
    return report

