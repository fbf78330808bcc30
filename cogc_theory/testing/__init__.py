r"""Property-testing tools for gradient-coding decoders: strategies and a conformance suite.

Strategies (for ``@hypothesis.given``):

* :func:`gc_matrices` — cyclic-repetition codes (Tandon et al. 2017; from
  :func:`cogc_theory.codes.cyclic_repetition` when that module is available), fractional
  repetition codes, and random rational matrices, as float arrays or exact sympy matrices;
* :func:`near_singular_matrices` — nearly singular and badly scaled matrices whose float
  entries are exact binary fractions (so the exact oracle judges exactly what a decoder sees);
* :func:`erasure_patterns` — link indicators :math:`\tau` and arrivals :math:`u` for a given ``B``;
* :func:`effective_matrices` — :math:`(\tilde B = B\circ\tau,\ u)` for a given ``B``;
* :func:`networks` — :class:`~cogc_theory.network.CooperativeNetwork` instances.

Conformance suite
-----------------
:func:`check_decoder` (and the command ``cogc check-decoder package.module:function``) tests
*any* decoder with the signature of :func:`cogc_theory.decode.gcplus` (``fn(Bt, arrived,
rule=...)``, ``kind="gcplus"``) or of :func:`cogc_theory.decode.standard` (``fn(B, received)``,
``kind="standard"``) that returns an object with ``full`` (bool), ``recovered`` (bool (M,)),
``weights`` and ``target`` ((M,)). Each property below is one hypothesis run and one row of
the report (:class:`ConformanceReport`); a failure names the property, prints the (shrunk)
case as pasteable numpy code, what the decoder returned and what the exact oracle says.

==================  ==========================================================================
property            what is checked, for every rule tested
==================  ==========================================================================
result types        ``full`` a bool; ``recovered`` a bool ndarray (M,); ``weights`` and
                    ``target`` real, finite ndarrays (M,); the decoder does not raise
certificate         :math:`\max_k|(a^\top A-t)_k|\le\mathrm{tol}\,(1+\max_k\sum_i|a_i A_{ik}|)`
                    with :math:`A` the arrived rows (standard: the received rows of ``B``),
                    and ``weights`` zero (:math:`\le\mathrm{tol}\max|a|`) on the other rows
claims              ``target`` matches the claim: all ones and every client recovered iff
                    ``full``; :math:`\mathbf 1_K` for ``max-subset`` / ``individual``;
                    standard (and full-only) outcomes all or nothing; ``least-squares``:
                    a client with :math:`|t_k|>\mathrm{tol}` is recovered, and a recovered
                    one has :math:`t_k\ne 0`
exact oracle        decisions equal the exact rational oracle's (:mod:`cogc_theory.exact`):
                    ``full``; ``individual`` :math:`K`; ``max-subset`` :math:`|K|`, with
                    :math:`\mathbf 1_K` exactly in the row space (any deterministic
                    tie-break); ``least-squares`` target within ``tol`` of the exact
                    projection and ``recovered`` its exact support
monotone            adding an arrival never loses full recovery, never shrinks the
                    max-subset :math:`|K|` or the individual :math:`K`, never increases the
                    least-squares residual; a standard success is a GC+ full recovery;
                    max-subset :math:`|K|\ge` individual :math:`|K|`; standard decoding is
                    also monotone in link successes
deterministic       the same input three times gives the same decisions, targets and
                    weights (weights within :math:`10^{-9}\max(1,\max|a|)`)
inputs unchanged    the decoder does not write into ``Bt`` / ``B``, ``arrived`` / ``received``
                    (every call gets fresh copies; the suite's own matrices are never exposed)
batched             a leading trials axis — ``Bt`` (T, M, M) with ``arrived`` (T, M), a shared
                    ``Bt`` (M, M) with ``arrived`` (T, M) (standard: ``B`` (M, M) with
                    ``received`` (T, M)), and T = 1 — gives ``full`` bool (T,),
                    ``recovered`` bool (T, M), ``weights`` / ``target`` (T, M), and each trial
                    is decided as the oracle decides it with a verified certificate
exact input         a sympy ``Matrix`` of rationals gives exact rational ``weights`` and
                    ``target`` (int, Fraction or sympy Rational), a certificate that holds
                    exactly, and the oracle's decisions — also on rationals such as
                    :math:`1+10^{-20}` that a float conversion cannot tell from 1
==================  ==========================================================================

The certificate's scale :math:`1+\max_k\sum_i|a_iA_{ik}|` bounds the size of the terms
summed (rounding makes an error of at most about :math:`10^{-16}` times it), so the check is
independent of how ``Bt`` and the weights are scaled, and ``tol`` leaves room for any sound
float decoder while a certificate that misses its target by more does not verify.

GC+ outcomes are **not** monotone in link successes, so that is not checked: with Tandon et
al.'s :math:`B` and only client 2 arriving, :math:`\tilde B_2=(0,0,1)` yields :math:`g_2`, but
after the link from client 0 succeeds, :math:`\tilde B_2=(1/2,0,1)` yields nothing.

**Cases.** Each example draws, with equal probability, a well-conditioned rational code
(:func:`gc_matrices`: cyclic, fractional, random rationals; the float input is the rounded
rational matrix and the oracle judges the rational one) or a hard case
(:func:`near_singular_matrices`: a block, cyclic, integer, :math:`\{0,\pm1\}` or 0/1 base
matrix whose entries are multiplied by :math:`1+p\,2^{-k}` — entries like
:math:`1+7.6\cdot10^{-6}` — with rows and the whole matrix scaled by powers of two; the floats
are exactly the rationals the oracle judges). Then links and arrivals: half the time
independent with a drawn failure rate, half the time near the decoding threshold (every link
but at most one, all but one or two arrivals), where perturbed codes put targets at distances
of :math:`10^{-7}`–:math:`10^{-1}` from the row space and make recoveries depend on singular
values down to :math:`10^{-7}\sigma_1`. The ``exact input`` property instead perturbs the
rational codes by :math:`1+p\,10^{-k}`, :math:`12\le k\le 30`, which floats cannot see.

Explicit cases run first in every run (whatever the seed): in ``certificate``, ``claims``,
``exact oracle`` and ``deterministic``, max-subset **ties** (two overlapping windows of an
all-ones block) and rows whose least-squares projection vanishes on clients they touch; in
``exact oracle``, a **tolerance ladder**: a cyclic code and two all-ones blocks perturbed by
:math:`2^{-k}` for every :math:`k` up to :math:`\log_2` ``cond_max``, one client missing (a
near miss at distance :math:`\approx 2^{-k}`) or none (a recovery through singular values
:math:`\approx 2^{-k}\sigma_1`), some scaled by :math:`2^{\pm 50}`. Any membership tolerance
between ``tol`` and 0.1 and any rank threshold between :math:`1/` ``cond_max`` and 0.1 lands
on the wrong side of some rung, so such a bug is caught in every run, not by luck. The
``deterministic`` property calls the decoder three times per input.

**Limits** (what a correct float decoder can be asked to decide). A case is used only if the
matrix of used rows :math:`A` has :math:`\sigma_1/\sigma_r\le` ``cond_max`` (default
:math:`10^7`; :math:`r` its exact rank) and every target that is not in the row space — the
all-ones vector; for ``individual`` each :math:`e_k`; for ``max-subset`` each :math:`e_k` and
each :math:`\mathbf 1_S` with :math:`|S|` at least the optimum — lies at distance at least
``tol`` (default :math:`10^{-7}`) from it, and for ``least-squares`` every nonzero entry of the
exact projection is at least ``tol``. These are exact computations (Fraction arithmetic) plus
one float SVD. :func:`cogc_theory.decode.gcplus` (rank tolerance ``rtol = 1e-10``, membership
``atol = 1e-8``) decides every such case. Why :math:`10^7` and not :math:`10^8`: a recovery
through a singular value :math:`\sigma_r` needs weights of order :math:`1/\sigma_r`, and above
a condition number of about :math:`3\cdot10^7` their rounding reaches ``decode``'s certificate
tolerance, so it reports an outage instead (measured on 40,000 full-rank hard cases: 0.8% of
those with :math:`10^7\le\kappa<10^8`, from :math:`\kappa=3.4\cdot10^7` up; none below).
State other limits with ``cond_max=`` (up to :math:`10^{12}`) and ``tol=``.

**Declaring what the decoder does.** ``rules=`` lists the GC+ rules it implements (default:
every rule it accepts, found by trying each on a small case; a decoder without a ``rule``
parameter is tested as ``"max-subset"`` and called without ``rule=``; so is any decoder
declared with one rule that does not accept the keyword); ``full_only=True`` for a GC+ decoder
that decides full recovery only (an outcome like standard decoding: all or nothing);
``batched=`` / ``exact=`` ``True`` (required), ``False`` (not tested) or ``None`` (default:
tested if the decoder accepts a small batch / a sympy matrix without raising, reported as
skipped otherwise).

**Reproducing, exploring, running longer.** By default (``seed=None``) every run draws new
cases, and hypothesis's example database (``.hypothesis/`` in the working directory, keyed by
the decoder and the property) replays earlier failures first. A failure prints a reproduction
blob: ``check_decoder(fn, reproduce="certificate:AXic...")`` (``cogc check-decoder ...
--reproduce ...``) replays exactly that case. ``seed=0`` gives a fixed run (no database), as
a project's own test suite wants. ``max_examples`` (default: the current hypothesis profile's,
100 unless changed) is per property; in CI run longer with ``max_examples=2000`` /
``--examples 2000``, or register and load a hypothesis profile
(``settings.register_profile("ci", max_examples=2000)``). Shrinking a failure stops after
:data:`SHRINK_SECONDS` (the smallest failing case found so far is reported).


Modules (internal): :mod:`._strategies` (code constructions and strategies),
:mod:`._matrices` (exact matrices, the near-singular strategy, the suite's constants),
:mod:`._cases` (a case, how it prints, the case strategy, the ladder and the special cases),
:mod:`._oracle` (the exact oracle), :mod:`._checks` (calling the decoder, reading and checking
one result), :mod:`._properties` (one check per property), :mod:`._report` (the report),
:mod:`._run` (probing and running: :func:`run_conformance`, :func:`check_decoder`),
:mod:`._command` (``cogc check-decoder``).

Examples
--------
>>> from cogc_theory import decode
>>> report = check_decoder(decode.gcplus, max_examples=5, seed=0)
>>> report.passed
True
>>> check_decoder(decode.standard, kind="standard", max_examples=5, seed=0).passed
True
"""

try:
    import hypothesis  # noqa: F401 - the test extra; checked first for a clear message
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "cogc_theory.testing needs hypothesis; install it with "
        "python -m pip install 'cogc-theory[test]' (or: python -m pip install hypothesis)"
    ) from exc

from ._command import check_decoder_command, load_decoder
from ._matrices import COND_MAX, TOL, near_singular_matrices
from ._properties import PROPERTIES
from ._report import ConformanceReport, PropertyResult
from ._run import SHRINK_SECONDS, check_decoder, run_conformance
from ._strategies import (
    KINDS,
    apply_links,
    cyclic_exact,
    effective_matrices,
    erasure_patterns,
    fractional_exact,
    gc_matrices,
    networks,
)

__all__ = [
    "COND_MAX",
    "KINDS",
    "PROPERTIES",
    "SHRINK_SECONDS",
    "TOL",
    "ConformanceReport",
    "PropertyResult",
    "apply_links",
    "check_decoder",
    "check_decoder_command",
    "cyclic_exact",
    "effective_matrices",
    "erasure_patterns",
    "fractional_exact",
    "gc_matrices",
    "load_decoder",
    "near_singular_matrices",
    "networks",
    "run_conformance",
]
