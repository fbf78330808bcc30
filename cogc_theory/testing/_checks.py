"""What the suite checks on one result (internal): the decoder call on fresh copies, reading
its result, the certificate, claim and oracle checks, and the failure they raise."""

from __future__ import annotations

import math
import os
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import hypothesis
import numpy as np
import sympy as sp

from .. import exact as _exact
from ..vocabulary import RULES
from ._cases import Case, fmt_vec
from ._matrices import zero_rows
from ._oracle import Oracle

__all__ = ["Ctx", "Fail", "Out", "assume_fair", "binary_mode", "certificate_problem",
           "claims_problem", "oracle_problem", "read_result", "result_fields", "strict_problems",
           "where"]


class Fail(AssertionError):
    """A violated property: what, the details, and (attached later) the case and call."""

    def __init__(self, what: str, detail: str, exact_input: bool = False) -> None:
        super().__init__(f"{what}: {detail}")
        self.what, self.detail, self.exact_input = what, detail, exact_input
        self.case: Case | None = None

    def copy(self) -> Fail:
        f = Fail(self.what, self.detail, self.exact_input)
        f.case = self.case
        f.__cause__ = self.__cause__
        return f

    def text(self) -> str:
        out = [f"{self.what}", "  " + self.detail.replace("\n", "\n  ")]
        if self.case is not None:
            out.append("  " + self.case.describe(self.exact_input).replace("\n", "\n  "))
            if self.case.explicit:
                out.append("  (an explicit case: every run checks it first)")
        return "\n".join(out)


_HERE = os.path.dirname(os.path.abspath(__file__))   # the suite's own frames


def where(exc: BaseException) -> str:
    """Where an exception came from: the innermost frame outside libraries (the user's code),
    and the innermost frame if that is elsewhere (inside numpy, say)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if os.path.dirname(os.path.abspath(f.filename)) != _HERE]
    if not frames:
        return ""
    lib = (os.sep + "site-packages" + os.sep, os.sep + "dist-packages" + os.sep,
           os.path.dirname(os.__file__) + os.sep)
    own = [f for f in frames if not any(s in f.filename or f.filename.startswith(s)
                                        for s in lib)]
    text = [f"{Path(f.filename).name}:{f.lineno} in {f.name}"
            for f in ([own[-1]] if own else []) + [frames[-1]]]
    if len(text) == 2 and text[0] == text[1]:
        text = text[:1]
    return f" (at {text[0]}" + (f"; raised at {text[1]})" if len(text) == 2 else ")")


# ----------------------------------------------------------------------------- the decoder
@dataclass
class Ctx:
    """What the suite knows about the decoder under test."""

    fn: Callable[..., Any]
    kind: str
    modes: tuple[str, ...]
    rule_kw: bool
    tol: float
    cond_max: float
    forms: tuple[str, ...] = ()
    exact: bool = False

    @property
    def gap(self) -> Fraction:
        return Fraction(self.tol)

    @property
    def names(self) -> tuple[str, str]:
        return ("B", "received") if self.kind == "standard" else ("Bt", "arrived")

    def inputs(self, case: Case) -> tuple[np.ndarray, np.ndarray]:
        return (case.Bf, case.received) if self.kind == "standard" else (case.Btf,
                                                                          case.arrived)

    def exact_inputs(self, case: Case) -> tuple[tuple, np.ndarray]:
        return (case.B, case.received) if self.kind == "standard" else (case.Bt, case.arrived)

    def used(self, case: Case, mask: np.ndarray | None = None) -> tuple:
        """Exact matrix of the rows the server may use (others zero)."""
        if self.kind == "standard":
            return zero_rows(case.B, case.received if mask is None else mask)
        return zero_rows(case.Bt, case.arrived if mask is None else mask)

    def call_text(self, mode: str, mat: Any, mask: np.ndarray) -> str:
        a, b = self.names
        shape = (f" {tuple(np.shape(mat))}" if isinstance(mat, np.ndarray) and mat.ndim == 3
                 else "")
        mshape = f" {mask.shape}" if mask.ndim == 2 else ""
        kw = f", rule={mode!r}" if self.rule_kw and mode in RULES else ""
        return f"fn({a}{shape}, {b}{mshape}{kw})"

    def invoke(self, mode: str, mat: Any, mask: np.ndarray) -> tuple[Any, list[str], str]:
        """Call the decoder on fresh copies; return (result, writes it made, call text)."""
        call = self.call_text(mode, mat, mask)
        m_in = mat.copy() if isinstance(mat, np.ndarray | sp.MatrixBase) else mat
        k_in = np.array(mask, dtype=bool, copy=True)
        kw = {"rule": mode} if self.rule_kw and mode in RULES else {}
        try:
            res = self.fn(m_in, k_in, **kw)
        except Exception as exc:  # noqa: BLE001 - a decoder's exception is a finding
            raise Fail("does not raise on valid input",
                        f"{call} raised {type(exc).__name__}: {exc}{where(exc)}",
                        isinstance(mat, sp.MatrixBase)) from exc
        a, b = self.names
        writes = _writes(a, mat, m_in) + _writes(b, mask, k_in)
        return res, writes, call


def _writes(name: str, before: Any, after: Any) -> list[str]:
    if isinstance(before, sp.MatrixBase):
        if not isinstance(after, sp.MatrixBase) or after.shape != before.shape:
            return [f"{name} was replaced by {type(after).__name__}"]
        diff = [idx for idx in np.ndindex(*before.shape) if before[idx] != after[idx]]
        b, a = before, after
    else:
        b, a = np.asarray(before), after
        if not isinstance(a, np.ndarray) or a.shape != b.shape or a.dtype != b.dtype:
            return [f"{name} changed shape or dtype"]
        same = (a == b) | ((a != a) & (b != b))     # NaN where NaN was is no write
        diff = [tuple(int(i) for i in ix) for ix in np.argwhere(~same)]
    if not diff:
        return []
    shown = ", ".join(f"{name}[{', '.join(map(str, ix))}]: {b[ix]} -> {a[ix]}" for ix in diff[:4])
    more = f" and {len(diff) - 4} more" if len(diff) > 4 else ""
    return [f"{shown}{more}"]


@dataclass
class Out:
    full: Any
    rec: np.ndarray
    w: np.ndarray
    t: np.ndarray


_FIELDS = ("full", "recovered", "weights", "target")


def result_fields(res: Any, call: str, exact_input: bool = False) -> dict[str, Any]:
    missing = [f for f in _FIELDS if not hasattr(res, f)]
    if missing:
        raise Fail("result fields", f"{call} returned {type(res).__name__} without "
                    f"{', '.join(missing)} (a result has full, recovered, weights, target)",
                    exact_input)
    return {f: getattr(res, f) for f in _FIELDS}


def read_result(res: Any, M: int, call: str, *, T: int | None = None,
          exact_input: bool = False) -> Out:
    """Leniently read a result (0/1 integers as booleans); fail if it cannot be read."""
    f = result_fields(res, call, exact_input)
    shape = (M,) if T is None else (T, M)

    def bad(what: str) -> Fail:
        return Fail("result fields", f"{call}: {what}", exact_input)

    full = np.asarray(f["full"])
    if (full.size != 1 if T is None else full.shape != (T,)):
        raise bad(f"full has shape {full.shape}")
    rec = np.asarray(f["recovered"])
    if rec.shape != shape:
        raise bad(f"recovered has shape {rec.shape}, expected {shape}")
    for name, v in (("full", full), ("recovered", rec)):
        if v.dtype != bool and not (v.dtype.kind in "iu" and np.isin(v, (0, 1)).all()):
            raise bad(f"{name} must be boolean, got dtype {v.dtype}")
    arrays = []
    for name in ("weights", "target"):
        v = f[name]
        if exact_input:
            arr = np.asarray(list(v) if isinstance(v, sp.MatrixBase) else v, dtype=object)
            if arr.shape != shape:
                raise bad(f"{name} has shape {arr.shape}, expected {shape}")
            try:
                arr = np.array([_exact.as_fraction(x, f"{name}[{i}]")
                                for i, x in enumerate(arr.ravel())], dtype=object).reshape(shape)
            except TypeError as exc:
                raise Fail("exact results", f"{call}: given a rational matrix, weights and "
                            f"target must be exact rationals (int, Fraction, sympy Rational): "
                            f"{exc} (a float-only decoder: declare exact=False, or "
                            "--no-exact)", True) from None
        else:
            try:
                arr = np.array(np.asarray(v, dtype=object).tolist(), dtype=float)
            except (TypeError, ValueError) as exc:
                raise bad(f"{name} is not an array of real numbers ({exc})") from None
            if arr.shape != shape:
                raise bad(f"{name} has shape {arr.shape}, expected {shape}")
        arrays.append(arr)
    full_b = bool(full.reshape(())) if T is None else full.astype(bool)
    return Out(full_b, rec.astype(bool), arrays[0], arrays[1])


def strict_problems(res: Any, M: int, T: int | None, exact_input: bool = False) -> list[str]:
    """The documented result types: bool full, bool ndarray recovered, real finite arrays
    (object arrays of exact rationals for exact input)."""
    f = {n: getattr(res, n) for n in _FIELDS if hasattr(res, n)}
    probs = [f"no attribute {n!r}" for n in _FIELDS if n not in f]
    shape = (M,) if T is None else (T, M)
    if "full" in f:
        v = f["full"]
        if T is None:
            if not (isinstance(v, bool | np.bool_)
                    or (isinstance(v, np.ndarray) and v.shape == () and v.dtype == bool)):
                probs.append(f"full must be a bool, got {type(v).__name__} {v!r}")
        elif not (isinstance(v, np.ndarray) and v.dtype == bool and v.shape == (T,)):
            probs.append(f"full must be a bool ndarray of shape ({T},), got "
                         f"{type(v).__name__} {getattr(v, 'dtype', '')}"
                         f"{tuple(np.shape(v))}")
    if "recovered" in f:
        v = f["recovered"]
        if not (isinstance(v, np.ndarray) and v.dtype == bool and v.shape == shape):
            probs.append(f"recovered must be a bool ndarray of shape {shape}, got "
                         f"{type(v).__name__} {getattr(v, 'dtype', '')}{tuple(np.shape(v))}")
    for n in ("weights", "target"):
        if n not in f:
            continue
        v = f[n]
        if exact_input:
            if not (isinstance(v, np.ndarray) and v.shape == shape):
                probs.append(f"{n} must be an ndarray of shape {shape}, got "
                             f"{type(v).__name__}{tuple(np.shape(v))}")
            continue
        if not (isinstance(v, np.ndarray) and v.dtype.kind in "fiu" and v.shape == shape):
            probs.append(f"{n} must be a real ndarray of shape {shape}, got "
                         f"{type(v).__name__} {getattr(v, 'dtype', '')}{tuple(np.shape(v))}")
        elif not np.all(np.isfinite(v)):
            probs.append(f"{n} is not finite: {fmt_vec(v)} (a non-finite certificate is "
                         "never a recovery)")
    return probs


# ----------------------------------------------------------------------------- checks
def certificate_problem(A: np.ndarray, used: np.ndarray, o: Out, tol: float,
                         a_name: str) -> tuple[str, str] | None:
    w, t = o.w, o.t
    if not (np.all(np.isfinite(w)) and np.all(np.isfinite(t))):
        return ("certificate is finite", f"weights={fmt_vec(w)}, target={fmt_vec(t)} (a "
                "non-finite certificate is never a recovery)")
    wmax = float(np.abs(w).max(initial=0.0))
    off = np.abs(w[~used]).max(initial=0.0)
    if off > tol * wmax or (wmax == 0 and off > 0):
        return ("weights vanish on rows not used",
                f"weights={fmt_vec(w)} are nonzero on rows "
                f"{np.flatnonzero(~used & (w != 0)).tolist()}, which the server does not have")
    Au = np.where(used[:, None], A, 0.0)
    err = float(np.abs(w @ Au - t).max(initial=0.0))
    size = float((np.abs(w) @ np.abs(Au)).max(initial=0.0))
    allowed = tol * (1.0 + size)
    if not err <= allowed:
        return (f"certificate verifies (weights @ {a_name} == target)",
                f"max |weights @ {a_name} - target| = {err!r} > allowed "
                f"tol * (1 + max_k sum_i |w_i {a_name}_ik|) = {tol!r} * (1 + {size!r}) = "
                f"{allowed!r}\n  weights = {fmt_vec(w)}\n  target  = {fmt_vec(t)}\n"
                f"  weights @ {a_name} = {fmt_vec(w @ Au)}")
    return None


def binary_mode(mode: str) -> bool:
    return mode in ("standard", "full-only")


def claims_problem(mode: str, o: Out, tol: float) -> str | None:
    M = o.rec.shape[0]
    K = np.flatnonzero(o.rec).tolist()
    desc = f"full={o.full}, recovered={K}, target={fmt_vec(o.t)}"
    if o.full and not (o.rec.all() and np.abs(o.t - 1).max() <= tol):
        return f"full=True needs every client recovered and target all ones; got {desc}"
    if binary_mode(mode):
        if not o.full and (o.rec.any() or np.abs(o.t).max() > tol):
            return (f"the outcome is all or nothing: full=False needs recovered empty and "
                    f"target zero; got {desc}")
        return None
    if mode in ("max-subset", "individual"):
        if np.abs(o.t - o.rec.astype(float)).max() > tol:
            return f"target must be the indicator 1_K of recovered K; got {desc}"
        if o.rec.all() and not o.full and M:
            return f"recovering every client is a full recovery; got {desc}"
        return None
    big = np.abs(o.t) > tol
    if np.any(big & ~o.rec) or np.any(o.rec & (o.t == 0)):
        return (f"least-squares: recovered must be the support of target (|t_k| > tol "
                f"recovered, t_k = 0 not); got {desc}")
    return None


def oracle_problem(mode: str, o: Out, orc: Oracle, tol: float) -> str | None:
    K = np.flatnonzero(o.rec).tolist()
    if o.full != orc.full:
        return (f"full={o.full}, exact oracle full={orc.full} (rank of the used rows "
                f"{orc.rank}, condition number {orc.cond:.6g})")
    if mode == "individual" and not np.array_equal(o.rec, orc.individual):
        return f"K={K}, exact oracle K={np.flatnonzero(orc.individual).tolist()}"
    if mode == "max-subset":
        if len(K) != orc.max_size:
            return (f"|K|={len(K)} (K={K}), exact oracle |K|={orc.max_size} "
                    f"(optimal sets {[list(S) for S in orc.optimal_sets[:4]]})")
        if not orc.member(orc.indicator(K)):
            d = math.sqrt(float(orc.dist2(orc.indicator(K))))
            return (f"K={K} has the optimal size but 1_K is not in the row space (distance "
                    f"{d!r}); optimal sets {[list(S) for S in orc.optimal_sets[:4]]}")
    if mode == "least-squares":
        proj = np.array([float(x) for x in orc.projection])
        supp = np.array([x != 0 for x in orc.projection], dtype=bool)
        err = float(np.abs(o.t - proj).max(initial=0.0))
        if err > tol:
            return (f"target={fmt_vec(o.t)} differs from the exact projection "
                    f"{[str(x) for x in orc.projection]} by {err!r} > tol = {tol!r}")
        if not np.array_equal(o.rec, supp):
            return (f"recovered={K} but the support of the exact projection is "
                    f"{np.flatnonzero(supp).tolist()}")
    return None


def assume_fair(ctx: Ctx, orc: Oracle, modes: Sequence[str] | None = None) -> None:
    for mode in ctx.modes if modes is None else modes:
        m = "full-only" if mode == "standard" else mode
        if orc.unfair(m, ctx.cond_max, ctx.gap) is not None:
            hypothesis.assume(False)

