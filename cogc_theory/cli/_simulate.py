"""``cogc simulate``: Monte Carlo outage of one scenario, or training with ``--train``."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

from ._common import DEC_NAME, CLIError, decoders, err, given, out_file, refuse, scenario

__all__ = ["PROGRESS_SECONDS", "cmd_simulate"]

#: Seconds between progress lines of a long ``cogc simulate`` (none for a shorter run).
PROGRESS_SECONDS = 5.0


def cmd_simulate(args: argparse.Namespace) -> int:
    if not args.train:
        refuse(given(("--out", args.out), ("--problem", args.problem),
                     ("--scheme", args.scheme), ("--rounds", args.rounds),
                     ("--train-trials", args.train_trials)),
               "{apply} to --train only; add --train or drop {them}")
        return _outage(args)
    refuse(given(("--decoder", args.decoder), ("--rule", args.rule), ("--json", args.json)),
           "{apply} to the Monte Carlo outage, not to --train (the training scheme is "
           "--scheme); drop {them}")
    import numpy as np

    from .. import simulate
    from .._io import atomic_open

    sc = scenario(args, trials=100_000)
    out = out_file(args.out, "loss.csv") if args.out is not None else None
    net = sc.network()
    train_trials = 10 if args.train_trials is None else args.train_trials
    try:
        run = simulate.train(net, problem=sc.problem, scheme=sc.scheme, rounds=sc.rounds,
                             trials=min(sc.trials, train_trials), seed=sc.seed)
    except KeyboardInterrupt:
        raise KeyboardInterrupt("training was not finished; nothing was printed or "
                                "written") from None
    L = np.asarray(run.loss, dtype=float)
    print(f"training {sc.problem} / {sc.scheme}: {L.shape[0]} trials x {sc.rounds} rounds")
    step = max(1, sc.rounds // 10)
    for t in list(range(0, L.shape[1], step)) + ([L.shape[1] - 1]
                                                 if (L.shape[1] - 1) % step else []):
        print(f"  round {t:5d}: loss mean {L[:, t].mean():.6g} (std {L[:, t].std():.3g})")
    if out is not None:
        with atomic_open(out, "w") as fh:
            np.savetxt(fh, L, delimiter=",")
        print(f"wrote {out}")
    return 0


def _outage(args: argparse.Namespace) -> int:
    """``cogc simulate`` without ``--train``: Monte Carlo outage per decoder.

    ``ct.simulate.outage`` refuses more than ``MAX_TRIALS`` trials up front. A run longer
    than :data:`PROGRESS_SECONDS` prints a progress line to stderr every
    :data:`PROGRESS_SECONDS`. Ctrl-C gives a partial estimate (status ``"interrupted"``): it
    is printed labelled ``interrupted (N of M trials)``, the remaining decoders are not run,
    and the exit status is 130.
    """
    from scipy.stats import binomtest

    from .. import simulate

    sc = scenario(args, trials=100_000)
    if sc.trials > simulate.MAX_TRIALS:
        raise CLIError(f"--trials {sc.trials:,} is more than MAX_TRIALS = 10**12 Monte Carlo "
                       f"trials: at a few million trials per second (the fastest networks, on "
                       f"one core) that is days to years of computing; give fewer --trials "
                       f"(a rare outage is better estimated by importance sampling, "
                       f"ct.simulate.importance_outage)")
    net = sc.network()
    decs = decoders(sc)
    out: dict[str, dict[str, Any]] = {}
    interrupted = None
    for d in decs:
        t0 = time.perf_counter()
        est = simulate.outage(net, decoder=d, trials=sc.trials, seed=sc.seed,
                              progress=_progress(DEC_NAME[d], sc.trials, t0))
        k, n = int(est.failures), int(est.trials)
        r: dict[str, Any] = {"estimate": None, "failures": k, "trials": n, "ci_low": None,
                             "ci_high": None, "seconds": time.perf_counter() - t0,
                             "source": "ct.simulate.outage", "status": "complete"}
        if n > 0:
            ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
            r.update(estimate=k / n, ci_low=ci.low, ci_high=ci.high)
        out[d] = r
        if est.status == "interrupted":
            r["status"] = f"interrupted ({n:,} of {sc.trials:,} trials)"
            interrupted = d
            break
    if args.json:
        print(json.dumps({"scenario": sc.to_dict(), "monte_carlo": out,
                          "interrupted": interrupted is not None}))
    else:
        for d, r in out.items():
            label = "" if r["status"] == "complete" else f"  [{r['status']}]"
            if r["estimate"] is None:
                print(f"{DEC_NAME[d]}: no estimate{label}")
                continue
            print(f"{DEC_NAME[d]}: P_out ~ {r['estimate']:.6g}  95% CI [{r['ci_low']:.6g}, "
                  f"{r['ci_high']:.6g}]  ({r['failures']:,} outages in {r['trials']:,} "
                  f"trials, {r['seconds']:.1f} s, {r['source']}){label}")
    if interrupted is not None:
        skipped = [DEC_NAME[d] for d in decs[decs.index(interrupted) + 1:]]
        raise KeyboardInterrupt(
            f"the {DEC_NAME[interrupted]} estimate covers {out[interrupted]['trials']:,} of "
            f"{sc.trials:,} trials" + (f"; {', '.join(skipped)} was not run" if skipped
                                       else ""))
    return 0


def _progress(label: str, total: int, t0: float) -> Callable[[Any], None]:
    """A progress callback for ``simulate.outage`` that writes a line to stderr at most every
    :data:`PROGRESS_SECONDS`: trials done, the running estimate, time spent and left."""
    last = [t0]

    def report(est: Any) -> None:
        now = time.perf_counter()
        if now - last[0] < PROGRESS_SECONDS:
            return
        last[0] = now
        spent = now - t0
        left = spent * (total - est.trials) / est.trials
        err(f"  {label}: {est.trials:,} of {total:,} trials ({100 * est.trials / total:.0f}%), "
            f"P_out ~ {est.estimate:.4g}, {spent:.0f} s, about {left:.0f} s left "
            f"(Ctrl-C stops with the estimate so far)")

    return report
