"""The properties of the conformance suite (internal): one check per row of the report,
each a function of the decoder context and one case."""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

from ._cases import Case, fmt_float, fmt_vec
from ._checks import (
    Ctx,
    Fail,
    Out,
    assume_fair,
    binary_mode,
    certificate_problem,
    claims_problem,
    oracle_problem,
    read_result,
    strict_problems,
)
from ._matrices import float_matrix, zero_rows
from ._oracle import Oracle, oracle_of

__all__ = ["CHECKS", "PROPERTIES"]


#: Properties of the conformance suite, in the order of the report.
PROPERTIES = ("result types", "certificate", "claims", "exact oracle", "monotone",
              "deterministic", "inputs unchanged", "batched", "exact input")
_REPEATS = 3                 # calls per input in the "deterministic" property


def _p_types(ctx: Ctx, case: Case) -> None:
    mat, mask = ctx.inputs(case)
    for mode in ctx.modes:
        res, _, call = ctx.invoke(mode, mat, mask)
        probs = strict_problems(res, case.M, None)
        if probs:
            raise Fail("result types", f"{call} returned {type(res).__name__}: "
                        + "; ".join(probs))


def _p_certificate(ctx: Ctx, case: Case) -> None:
    mat, mask = ctx.inputs(case)
    for mode in ctx.modes:
        res, _, call = ctx.invoke(mode, mat, mask)
        o = read_result(res, case.M, call)
        p = certificate_problem(mat, mask, o, ctx.tol, ctx.names[0])
        if p:
            raise Fail(p[0], f"{call}: {p[1]}")


def _p_claims(ctx: Ctx, case: Case) -> None:
    mat, mask = ctx.inputs(case)
    for mode in ctx.modes:
        res, _, call = ctx.invoke(mode, mat, mask)
        p = claims_problem(mode, read_result(res, case.M, call), ctx.tol)
        if p:
            raise Fail("target matches the claim", f"{call}: {p}")


def _p_oracle(ctx: Ctx, case: Case) -> None:
    orc = oracle_of(ctx.used(case))
    assume_fair(ctx, orc)
    mat, mask = ctx.inputs(case)
    for mode in ctx.modes:
        res, _, call = ctx.invoke(mode, mat, mask)
        p = oracle_problem(mode, read_result(res, case.M, call), orc, ctx.tol)
        if p:
            raise Fail(f"agrees with the exact oracle ({mode})", f"{call}: {p}")


def _p_monotone(ctx: Ctx, case: Case) -> None:
    mat, mask = ctx.inputs(case)
    if ctx.kind == "standard":
        more = case.received.copy()
        more[case.extra] = True
        variants = [(f"adding row {case.extra} to received", more)]
        if case.flip is not None:
            m, k = divmod(case.flip, case.M)
            variants.append((f"the link {k} -> {m} succeeding", case.flipped()[1]))
        assume_fair(ctx, oracle_of(ctx.used(case)))
        for _, msk in variants:
            assume_fair(ctx, oracle_of(zero_rows(case.B, msk)))
        res, _, call = ctx.invoke("standard", mat, mask)
        o = read_result(res, case.M, call)
        for what, msk in variants:
            res2, _, call2 = ctx.invoke("standard", mat, msk)
            o2 = read_result(res2, case.M, call2)
            if o.full and not o2.full:
                raise Fail("monotone (arrivals and links)",
                            f"{call} succeeds, but after {what} {call2} fails "
                            f"(received {fmt_vec(mask)} -> {fmt_vec(msk)})")
        return
    more = case.more()
    assume_fair(ctx, oracle_of(ctx.used(case)))
    assume_fair(ctx, oracle_of(ctx.used(case, more)))
    std = oracle_of(zero_rows(case.B, case.received))
    sizes: dict[str, int] = {}
    for mode in ctx.modes:
        res, _, call = ctx.invoke(mode, mat, mask)
        o = read_result(res, case.M, call)
        res2, _, call2 = ctx.invoke(mode, mat, more)
        o2 = read_result(res2, case.M, call2)
        K, K2 = np.flatnonzero(o.rec).tolist(), np.flatnonzero(o2.rec).tolist()
        detail = (f"adding the arrival of client {case.extra}: {call} gives full={o.full}, "
                  f"K={K}; with arrived={fmt_vec(more)} it gives full={o2.full}, K={K2}")
        if o.full and not o2.full:
            raise Fail("monotone in arrivals (full recovery)", detail)
        if mode == "max-subset" and len(K2) < len(K):
            raise Fail("monotone in arrivals (max-subset |K|)", detail)
        if mode == "individual" and not set(K) <= set(K2):
            raise Fail("monotone in arrivals (individual K)", detail)
        if mode == "least-squares":
            r1, r2 = np.linalg.norm(1 - o.t), np.linalg.norm(1 - o2.t)
            if r2 > r1 + ctx.tol * math.sqrt(case.M):
                raise Fail("monotone in arrivals (least-squares residual)",
                            f"{detail}; residual |1 - target| {r1!r} -> {r2!r}")
        if std.full and not o.full:
            raise Fail("a standard success is a GC+ full recovery",
                        f"{call}: full=False, but the complete rows that arrived "
                        f"({fmt_vec(case.received)}) already span the all-ones vector")
        sizes[mode] = len(K)
    if sizes.get("max-subset", case.M) < sizes.get("individual", 0):
        raise Fail("max-subset recovers at least as many as individual",
                    f"|K| max-subset = {sizes['max-subset']} < individual = "
                    f"{sizes['individual']}")


def _same(o1: Out, o2: Out) -> str | None:
    if o1.full != o2.full or not np.array_equal(o1.rec, o2.rec):
        return (f"full {o1.full} vs {o2.full}, recovered {np.flatnonzero(o1.rec).tolist()} vs "
                f"{np.flatnonzero(o2.rec).tolist()}")
    for name, a, b in (("target", o1.t, o2.t), ("weights", o1.w, o2.w)):
        if a.dtype == object or b.dtype == object:
            if not np.array_equal(a, b):
                return f"{name} {fmt_vec(a)} vs {fmt_vec(b)}"
            continue
        scale = max(1.0, float(np.abs(a).max(initial=0.0)))
        if not np.allclose(a, b, rtol=0, atol=1e-9 * scale, equal_nan=True):
            return f"{name} {fmt_vec(a)} vs {fmt_vec(b)}"
    return None


def _p_deterministic(ctx: Ctx, case: Case) -> None:
    mat, mask = ctx.inputs(case)
    for mode in ctx.modes:
        res1, _, call = ctx.invoke(mode, mat, mask)
        o1 = read_result(res1, case.M, call)
        for _ in range(_REPEATS - 1):
            res2, _, _ = ctx.invoke(mode, mat, mask)
            diff = _same(o1, read_result(res2, case.M, call))
            if diff:
                raise Fail("same input, same result",
                            f"{call} called {_REPEATS} times on equal inputs: {diff}")


def _p_inputs(ctx: Ctx, case: Case) -> None:
    mat, mask = ctx.inputs(case)
    calls = [(mode, mat, mask) for mode in ctx.modes]
    if "stack" in ctx.forms:
        calls.append((ctx.modes[0], np.stack([mat, mat]), np.stack([mask, mask])))
    if "shared" in ctx.forms:
        calls.append((ctx.modes[0], mat, np.stack([mask, mask])))
    if ctx.exact:
        calls.append((ctx.modes[0], sp.Matrix(ctx.exact_inputs(case)[0]), mask))
    for mode, m, k in calls:
        _, writes, call = ctx.invoke(mode, m, k)
        if writes:
            raise Fail("does not write into its inputs",
                        f"{call} modified its arguments: " + "; ".join(writes),
                        isinstance(m, sp.MatrixBase))


def _p_batched(ctx: Ctx, case: Case) -> None:
    M = case.M
    if ctx.kind == "standard":
        more = case.received.copy()
        more[case.extra] = True
        mats = [case.Bf] * 3
        masks = [case.received, more, np.zeros(M, dtype=bool)]
        exacts = [zero_rows(case.B, k) for k in masks]
    else:
        more = case.more()
        tau2, _ = case.flipped()
        Bt2 = tuple(tuple(x if tau2[m, j] else Fraction(0) for j, x in enumerate(r))
                    for m, r in enumerate(case.B))
        mats = [case.Btf, case.Bf, float_matrix(Bt2)]
        masks = [case.arrived, more, np.ones(M, dtype=bool)]
        exacts = [zero_rows(case.Bt, masks[0]), zero_rows(case.B, masks[1]),
                  zero_rows(Bt2, masks[2])]
    orcs = [oracle_of(A) for A in exacts]
    for orc in orcs:
        assume_fair(ctx, orc)
    shared_orcs = [oracle_of(zero_rows(case.B if ctx.kind == "standard" else case.Bt, k))
                   for k in masks]
    forms: list[tuple[Any, np.ndarray, list[np.ndarray], list[Oracle]]] = []
    if "stack" in ctx.forms:
        forms.append((np.stack(mats), np.stack(masks), mats, orcs))
        forms.append((np.stack(mats[:1]), np.stack(masks[:1]), mats[:1], orcs[:1]))
    if "shared" in ctx.forms:
        for orc in shared_orcs:
            assume_fair(ctx, orc)
        forms.append((mats[0], np.stack(masks), [mats[0]] * 3, shared_orcs))
        forms.append((mats[0], np.stack(masks[:1]), mats[:1], shared_orcs[:1]))
    for mode in ctx.modes:
        for mat, mask, trial_mats, trial_orcs in forms:
            T = mask.shape[0]
            res, _, call = ctx.invoke(mode, mat, mask)
            probs = strict_problems(res, M, T)
            if probs:
                raise Fail("batched result types", f"{call} returned "
                            f"{type(res).__name__}: " + "; ".join(probs))
            o = read_result(res, M, call, T=T)
            for i in range(T):
                oi = Out(bool(o.full[i]), o.rec[i], o.w[i], o.t[i])
                p = oracle_problem(mode, oi, trial_orcs[i], ctx.tol)
                cp = certificate_problem(trial_mats[i], mask[i], oi, ctx.tol, ctx.names[0])
                if p or cp:
                    one, _, call1 = ctx.invoke(mode, trial_mats[i], mask[i])
                    o1 = read_result(one, M, call1)
                    raise Fail("each trial decided as on its own",
                                f"{call}, trial {i} ({ctx.names[1]}={fmt_vec(mask[i])}"
                                + (f", {ctx.names[0]}={fmt_float(trial_mats[i])}"
                                   if mat.ndim == 3 else "")
                                + f"): {p or cp[1]}\n  the one-round call {call1} gives "
                                f"full={o1.full}, K={np.flatnonzero(o1.rec).tolist()}, "
                                f"target={fmt_vec(o1.t)}")


def _p_exact(ctx: Ctx, case: Case) -> None:
    Bx, mask = ctx.exact_inputs(case)
    orc = oracle_of(ctx.used(case))
    M = case.M
    for mode in ctx.modes:
        res, _, call = ctx.invoke(mode, sp.Matrix(Bx), mask)
        probs = strict_problems(res, M, None, exact_input=True)
        if probs:
            raise Fail("result types", f"{call} returned {type(res).__name__}: "
                        + "; ".join(probs), True)
        o = read_result(res, M, call, exact_input=True)
        used = np.asarray(mask, dtype=bool)
        A = ctx.used(case)
        if any(o.w[i] != 0 for i in np.flatnonzero(~used)):
            raise Fail("weights vanish on rows not used", f"{call}: weights="
                        f"{fmt_vec(o.w)}", True)
        wA = [sum((o.w[i] * A[i][k] for i in range(M)), Fraction(0)) for k in range(M)]
        if wA != list(o.t):
            raise Fail(f"certificate holds exactly (weights @ {ctx.names[0]} == target)",
                        f"{call}: weights={fmt_vec(o.w)}, target={fmt_vec(o.t)}, "
                        f"weights @ {ctx.names[0]} = {[str(x) for x in wA]}", True)
        # the claims and decisions, with tolerance 0, on the floats of the exact target
        # (0/1 targets convert exactly); exactness of the target itself is checked apart
        of = Out(o.full, o.rec, o.w, np.array([float(x) for x in o.t]))
        p = claims_problem(mode, of, 0.0)
        if p is None and mode in ("max-subset", "individual", "standard", "full-only"):
            want = [Fraction(int(x)) for x in o.rec]
            if binary_mode(mode):
                want = [Fraction(int(o.full))] * M
            if list(o.t) != want:
                p = f"target must be exactly {[str(x) for x in want]}, got {fmt_vec(o.t)}"
        if p:
            raise Fail("target matches the claim", f"{call}: {p}", True)
        if mode == "least-squares":
            if list(o.t) != orc.projection:
                raise Fail("agrees with the exact oracle (least-squares)",
                            f"{call}: target={fmt_vec(o.t)}, exact projection="
                            f"{[str(x) for x in orc.projection]}", True)
            of = Out(o.full, o.rec, o.w, np.array([float(x) for x in orc.projection]))
        p = oracle_problem(mode, of, orc, 0.0)
        if p:
            raise Fail(f"agrees with the exact oracle ({mode})", f"{call}: {p}", True)


CHECKS: dict[str, Callable[[Ctx, Case], None]] = {
    "result types": _p_types, "certificate": _p_certificate, "claims": _p_claims,
    "exact oracle": _p_oracle, "monotone": _p_monotone, "deterministic": _p_deterministic,
    "inputs unchanged": _p_inputs, "batched": _p_batched, "exact input": _p_exact,
}

