r"""The task protocol and the built-in tasks (internal; re-exported by :mod:`cogc_theory.sweep`).

Built-in tasks (see :func:`make_task`): ``"outage-exact"`` (:class:`OutageExact`),
``"outage-mc"`` (:class:`OutageMC`) and ``"train"`` (:class:`Train`); their points describe a
network (see :func:`network_from_point`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .._validate import check_int
from ..scenario import NetworkSpec
from ..vocabulary import DECODERS
from ._grid import jsonable

__all__ = ["TASKS", "OutageExact", "OutageMC", "Task", "Train", "check_task", "int_seed",
           "make_task", "network_from_point", "task_params"]


@runtime_checkable
class Task(Protocol):
    """What a sweep runs on each ``(point, chunk)``; see the module docstring.

    Examples
    --------
    A task is any object with ``name``, ``chunks``, ``run`` and ``reduce``; this one sums
    ``n`` Bernoulli(1/2) draws in chunks of 100 (see the module docstring of
    :mod:`cogc_theory.sweep` for a full sweep):

    >>> import numpy as np
    >>> from cogc_theory.sweep import Task
    >>> class Heads:
    ...     name = "heads"
    ...     def chunks(self, point): return -(-point["n"] // 100)
    ...     def run(self, point, chunk, seed_sequence):
    ...         n = min(100, point["n"] - 100 * chunk)
    ...         return {"heads": int(np.random.default_rng(seed_sequence).integers(0, 2, n).sum())}
    ...     def reduce(self, point, chunk_results):
    ...         return {"heads": sum(r["heads"] for r in chunk_results)}
    >>> isinstance(Heads(), Task), Heads().chunks({"n": 250})
    (True, 3)
    """

    name: str

    def chunks(self, point: dict[str, Any]) -> int: ...

    def run(self, point: dict[str, Any], chunk: int,
            seed_sequence: np.random.SeedSequence) -> dict[str, Any]: ...

    def reduce(self, point: dict[str, Any],
               chunk_results: list[dict[str, Any]]) -> dict[str, Any]: ...


def task_params(task: Any) -> dict[str, Any]:
    if hasattr(task, "params"):
        params = task.params()
    elif dataclasses.is_dataclass(task):
        params = {f.name: getattr(task, f.name) for f in dataclasses.fields(task)
                  if f.name != "name"}
    else:
        params = {}
    return jsonable(params, "task.params()")


def check_task(task: Any) -> Any:
    if isinstance(task, str):
        return make_task(task)
    missing = [a for a in ("name", "chunks", "run", "reduce") if not hasattr(task, a)]
    if missing:
        raise TypeError(
            f"task must be a task name ({', '.join(sorted(TASKS))}) or an object with "
            f"name, chunks(point), run(point, chunk, seed_sequence) and "
            f"reduce(point, chunk_results); {type(task).__name__} lacks {missing}"
        )
    if not isinstance(task.name, str) or not task.name:
        raise TypeError(f"task.name must be a non-empty string, got {task.name!r}")
    return task


def network_from_point(point: Mapping[str, Any]) -> Any:
    """Build the :class:`~cogc_theory.network.CooperativeNetwork` a point describes.

    The keys of :class:`~cogc_theory.scenario.NetworkSpec`: ``M``, ``s`` (required);
    ``uplink_erasure`` (alias ``p``) and ``link_erasure`` (alias ``eps``), scalars or lists
    (length ``M`` / ``M x M``), default 0 in a sweep point; ``code``: ``"cyclic"`` (default) or
    ``"fractional"``; for cyclic codes ``code_seed`` (default 0), ``exact`` (default False)
    and ``construction``; ``reciprocal`` (default False). Other keys are ignored here.

    Examples
    --------
    >>> net = network_from_point({"M": 4, "s": 1, "p": 0.1, "eps": 0.2})
    >>> net.M, net.s, net.neighbors(0)
    (4, 1, (1,))
    """
    return NetworkSpec.from_mapping(point, name="point").network()


def _check_keys(point: Mapping[str, Any], task: str, extra: tuple[str, ...]) -> None:
    unknown = sorted(set(point) - set(NetworkSpec.keys()) - set(extra))
    if unknown:
        raise ValueError(f"task {task!r} does not know grid parameters {unknown}; "
                         f"known: {sorted(set(NetworkSpec.keys()) | set(extra))}")


def int_seed(ss: np.random.SeedSequence) -> int:
    """A 63-bit integer seed drawn from a seed sequence, for APIs that take an int."""
    return int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))


def _trial_split(trials: int, chunk_trials: int, chunk: int) -> int:
    return min(chunk_trials, trials - chunk * chunk_trials)




@dataclasses.dataclass(frozen=True)
class OutageExact:
    r"""Exact outage probabilities (``ct.outage.cogc`` and/or ``ct.outage.gcplus``).

    Point keys: the network keys of :func:`network_from_point`, and ``decoder`` (overrides the
    task's). One chunk per point; no randomness. Row: ``outage_standard`` and/or
    ``outage_gcplus``.

    Examples
    --------
    The ring with :math:`M=4`, :math:`s=1` at :math:`p=0.1`, :math:`\varepsilon=0.2`: CoGC
    outage :math:`1-0.72^4-4\cdot0.72^3\cdot0.28`:

    >>> from cogc_theory.sweep import OutageExact
    >>> task = OutageExact()
    >>> point = {"M": 4, "s": 1, "p": 0.1, "eps": 0.2}
    >>> task.chunks(point)
    1
    >>> row = task.reduce(point, [task.run(point, 0, None)])
    >>> round(row["outage_standard"], 8), round(row["outage_gcplus"], 7)
    (0.31322368, 0.1946008)
    """

    decoder: str = "both"
    name: str = "outage-exact"

    def __post_init__(self) -> None:
        self._decoders({})                       # checks the default decoder

    def chunks(self, point: dict[str, Any]) -> int:
        _check_keys(point, self.name, ("decoder",))
        self._decoders(point)
        network_from_point(point)
        return 1

    def _decoders(self, point: dict[str, Any]) -> tuple[str, ...]:
        d = point.get("decoder", self.decoder)
        if d == "both":
            return DECODERS
        if d not in DECODERS:
            raise ValueError(f"decoder must be 'standard', 'gcplus' or 'both', got {d!r}")
        return (d,)

    def run(self, point: dict[str, Any], chunk: int,
            seed_sequence: np.random.SeedSequence) -> dict[str, Any]:
        from .. import outage

        net = network_from_point(point)
        fns = {"standard": outage.cogc, "gcplus": outage.gcplus}
        return {f"outage_{d}": float(fns[d](net)) for d in self._decoders(point)}

    def reduce(self, point: dict[str, Any],
               chunk_results: list[dict[str, Any]]) -> dict[str, Any]:
        return dict(chunk_results[0])


@dataclasses.dataclass(frozen=True)
class OutageMC:
    """Monte Carlo outage (``ct.simulate.outage``), ``chunk_trials`` trials per unit.

    ``trials`` (here or in a point) is at most :data:`cogc_theory.simulate.MAX_TRIALS`, the
    limit of ``ct.simulate.outage`` (checked before a sweep writes anything).

    Point keys: the network keys, and ``decoder``, ``trials`` (override the task's). The
    number of chunks is :math:`\\lceil \\mathrm{trials} / \\mathrm{chunk\\_trials}\\rceil`.
    Row: ``failures``, ``n_trials``, ``estimate`` and the 95% Wilson interval
    ``ci_low``, ``ci_high``.

    Examples
    --------
    >>> import numpy as np
    >>> from cogc_theory.sweep import OutageMC
    >>> task = OutageMC(trials=1000, chunk_trials=400)
    >>> point = {"M": 4, "s": 1, "p": 0.1, "eps": 0.2}
    >>> task.chunks(point)                                  # ceil(1000 / 400)
    3
    >>> seeds = np.random.SeedSequence(0).spawn(3)
    >>> row = task.reduce(point, [task.run(point, c, seeds[c]) for c in range(3)])
    >>> row["n_trials"], bool(row["ci_low"] <= row["estimate"] <= row["ci_high"])
    (1000, True)
    """

    decoder: str = "standard"
    trials: int = 100_000
    chunk_trials: int = 10_000
    name: str = "outage-mc"

    def __post_init__(self) -> None:
        from ..simulate._mc import check_trials

        check_trials(self.trials)                    # the limit of ct.simulate.outage
        check_int(self.chunk_trials, "chunk_trials", lo=1)
        if self.decoder not in DECODERS:
            raise ValueError(f"decoder must be 'standard' or 'gcplus', got {self.decoder!r}")

    def chunks(self, point: dict[str, Any]) -> int:
        _check_keys(point, self.name, ("decoder", "trials"))
        from ..simulate._mc import check_trials

        trials = check_trials(point.get("trials", self.trials), "point['trials']")
        if point.get("decoder", self.decoder) not in DECODERS:
            raise ValueError(f"point['decoder'] must be 'standard' or 'gcplus', "
                             f"got {point['decoder']!r}")
        network_from_point(point)
        return -(-trials // self.chunk_trials)

    def run(self, point: dict[str, Any], chunk: int,
            seed_sequence: np.random.SeedSequence) -> dict[str, Any]:
        from .. import simulate

        n = _trial_split(point.get("trials", self.trials), self.chunk_trials, chunk)
        est = simulate.outage(network_from_point(point),
                              decoder=point.get("decoder", self.decoder),
                              trials=n, seed=int_seed(seed_sequence))
        if est.status == "interrupted" or est.trials != n:
            # simulate.outage returns what it finished on Ctrl-C; a cut-short unit must not
            # be saved as a finished one (a rerun could never complete it)
            raise KeyboardInterrupt(f"outage-mc unit interrupted after {est.trials:,} of "
                                    f"{n:,} trials")
        return {"failures": int(est.failures), "trials": int(est.trials)}

    def reduce(self, point: dict[str, Any],
               chunk_results: list[dict[str, Any]]) -> dict[str, Any]:
        from scipy.stats import binomtest

        k = sum(r["failures"] for r in chunk_results)
        n = sum(r["trials"] for r in chunk_results)
        ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        return {"failures": k, "n_trials": n, "estimate": k / n,
                "ci_low": float(ci.low), "ci_high": float(ci.high)}


def _check_train_names(problem: Any, scheme: Any, where: str) -> None:
    """Refuse a problem or scheme name that :func:`cogc_theory.simulate.train` would refuse,
    before a sweep writes anything (``where``: ``""`` for task options, ``"point"`` for grid
    values)."""
    from ..simulate.problems import PROBLEMS
    from ..vocabulary import SCHEME_ALIASES, TRAINING_SCHEMES

    for arg, value, valid in (("problem", problem, PROBLEMS),
                              ("scheme", scheme, TRAINING_SCHEMES + tuple(SCHEME_ALIASES))):
        name = f"{where}[{arg!r}]" if where else arg
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a name, one of {list(valid)}, got {value!r}")
        if value not in valid:
            raise ValueError(f"{name} must be one of {list(valid)}, got {value!r}")


@dataclasses.dataclass(frozen=True)
class Train:
    """Training runs (``ct.simulate.train``), ``chunk_trials`` trials per unit.

    Point keys: the network keys, and ``problem``, ``scheme``, ``rounds``, ``trials``
    (override the task's); ``problem`` and ``scheme`` must be names
    :func:`cogc_theory.simulate.train` accepts (checked when the task is made, and for grid
    values before a sweep writes anything). Row: ``n_trials``, ``loss_mean`` (list,
    ``rounds + 1`` values: the mean over trials of the global loss after each round),
    ``final_loss_mean`` and ``final_loss_std`` (over trials, ``ddof=0``).

    Examples
    --------
    >>> from cogc_theory.sweep import Train, unit_seed
    >>> task = Train(problem="least-squares", scheme="cogc", rounds=5, trials=2, chunk_trials=1)
    >>> point = {"M": 4, "s": 1, "p": 0.1, "eps": 0.2}
    >>> task.chunks(point)
    2
    >>> row = task.reduce(point, [task.run(point, 0, unit_seed(0, point, 0))])
    >>> row["n_trials"], len(row["loss_mean"])
    (1, 6)
    """

    problem: str = "digits"
    scheme: str = "gcplus"
    rounds: int = 200
    trials: int = 20
    chunk_trials: int = 20
    name: str = "train"

    def __post_init__(self) -> None:
        for k in ("rounds", "trials", "chunk_trials"):
            check_int(getattr(self, k), k, lo=1)
        _check_train_names(self.problem, self.scheme, "")

    def _opt(self, point: dict[str, Any], k: str) -> Any:
        return point.get(k, getattr(self, k))

    def chunks(self, point: dict[str, Any]) -> int:
        _check_keys(point, self.name, ("problem", "scheme", "rounds", "trials"))
        _check_train_names(self._opt(point, "problem"), self._opt(point, "scheme"), "point")
        check_int(self._opt(point, "rounds"), "point['rounds']", lo=1)
        trials = check_int(self._opt(point, "trials"), "point['trials']", lo=1)
        network_from_point(point)
        return -(-trials // self.chunk_trials)

    def run(self, point: dict[str, Any], chunk: int,
            seed_sequence: np.random.SeedSequence) -> dict[str, Any]:
        from .. import simulate

        n = _trial_split(self._opt(point, "trials"), self.chunk_trials, chunk)
        run = simulate.train(network_from_point(point), problem=self._opt(point, "problem"),
                             scheme=self._opt(point, "scheme"),
                             rounds=self._opt(point, "rounds"), trials=n,
                             seed=int_seed(seed_sequence))
        return {"loss": np.asarray(run.loss, dtype=float)}

    def reduce(self, point: dict[str, Any],
               chunk_results: list[dict[str, Any]]) -> dict[str, Any]:
        loss = np.concatenate([np.asarray(r["loss"], dtype=float) for r in chunk_results])
        return {"n_trials": int(loss.shape[0]), "loss_mean": loss.mean(axis=0),
                "final_loss_mean": float(loss[:, -1].mean()),
                "final_loss_std": float(loss[:, -1].std())}


TASKS: dict[str, type] = {"outage-exact": OutageExact, "outage-mc": OutageMC, "train": Train}


def make_task(name: str, **options: Any) -> Any:
    """A built-in task by name: ``"outage-exact"``, ``"outage-mc"`` or ``"train"``.

    ``options`` are the task's fields (e.g. ``trials=``, ``chunk_trials=``, ``decoder=``).

    Examples
    --------
    >>> make_task("outage-mc", trials=1000, chunk_trials=100)
    OutageMC(decoder='standard', trials=1000, chunk_trials=100, name='outage-mc')
    """
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; choose one of {sorted(TASKS)} or pass a "
                         f"task object")
    cls = TASKS[name]
    fields = {f.name for f in dataclasses.fields(cls)} - {"name"}
    bad = sorted(set(options) - fields)
    if bad:
        raise TypeError(f"task {name!r} has no options {bad}; its options are {sorted(fields)}")
    return cls(**options)
