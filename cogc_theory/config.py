r"""Scenario and study configuration: dataclasses, TOML loading, the embedded default study.

A **scenario** is one cooperative network plus what to do with it (decoder, trials, seed,
training options). A **study** is what ``cogc report`` runs: a family of scenarios (the
default: :math:`M=10`, cyclic :math:`B`, :math:`s\in\{1,2,3\}`, a grid of uplink and
client-link erasure probabilities) with the Monte Carlo and training budgets.

Both load from TOML (:mod:`tomllib`); every key is optional and defaults to the embedded
values below. A file may hold a ``[scenario]`` table (used by ``cogc outage``, ``bound``,
``simulate``, ``plot``), a ``[study]`` table (``cogc report``) and a ``[sweep]`` table
(``cogc sweep``)::

    [scenario]
    M = 10
    s = 2
    code = "cyclic"          # or "fractional"
    p = 0.1                  # uplink erasure: scalar or list of M values
    eps = 0.2                # client-link erasure: scalar or M x M nested list
    decoder = "both"         # "standard", "gcplus" or "both"
    trials = 100000
    seed = 0

    [study]
    s_values = [1, 2, 3]
    p_grid = [0.02, 0.05, 0.1, 0.2, 0.3]

Examples
--------
>>> sc = Scenario.from_mapping({"M": 4, "s": 1, "p": 0.1, "eps": 0.2})
>>> sc.M, sc.s, sc.code
(4, 1, 'cyclic')
>>> try:
...     Scenario.from_mapping({"M": 4, "sss": 1})
... except ValueError as exc:
...     print(str(exc)[:41])
unknown scenario key(s) ['sss'] in config
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_STUDY", "QUICK_STUDY", "TABLES", "Scenario", "Study", "load_table", "load_toml"]

CODES = ("cyclic", "fractional")
DECODERS = ("standard", "gcplus", "both")
RULES = ("max-subset", "individual", "least-squares")


def load_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file into a dict; errors name the file and the fix.

    Raises
    ------
    ValueError
        The file is missing, a directory, unreadable, not UTF-8 or not valid TOML.
    """
    path = Path(path)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"config file {str(path)!r} is not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"config file {str(path)!r} is not UTF-8 text ({exc.reason} at byte "
                         f"{exc.start}); save it as UTF-8 TOML") from None
    except FileNotFoundError:
        raise ValueError(f"config file {str(path)!r} does not exist; check the --config path") \
            from None
    except IsADirectoryError:
        raise ValueError(f"config file {str(path)!r} is a directory; give a TOML file") \
            from None
    except OSError as exc:
        raise ValueError(f"config file {str(path)!r} cannot be read ({exc.strerror or exc}); "
                         "check the --config path") from None


#: The tables a config file may hold, and the commands that read them.
TABLES = {"scenario": "cogc outage, bound, simulate, plot", "study": "cogc report",
          "sweep": "cogc sweep"}


def load_table(path: str | Path, table: str) -> dict[str, Any]:
    """The ``[table]`` of the TOML file ``path`` (one of :data:`TABLES`), checked.

    A file may hold several of the known tables (one file for every command), but not an
    unknown table or a bare key outside a table, and it must hold ``[table]`` unless it holds
    none of them (an empty file). Errors name the file, the table and the expected one.

    Raises
    ------
    ValueError
        As :func:`load_toml`, or the tables are not as described.
    """
    if table not in TABLES:
        raise ValueError(f"table must be one of {sorted(TABLES)}, got {table!r}")
    data = load_toml(path)
    where = f"config file {str(path)!r}"
    bare = sorted(k for k, v in data.items() if not isinstance(v, dict))
    unknown = sorted(k for k, v in data.items() if isinstance(v, dict) and k not in TABLES)
    if bare:
        raise ValueError(f"{where}: key(s) {bare} are outside a table; put them under "
                         f"[{table}]")
    if unknown:
        raise ValueError(f"{where}: unknown table {', '.join(f'[{k}]' for k in unknown)}; "
                         f"this command reads [{table}] (known tables: "
                         f"{', '.join(f'[{k}]' for k in TABLES)})")
    if table not in data and data:
        other = ", ".join(f"[{k}] (for {TABLES[k]})" for k in data)
        raise ValueError(f"{where} has no [{table}] table, which this command reads; it has "
                         f"{other}")
    return dict(data.get(table, {}))


def _check_keys(data: Mapping[str, Any], cls: type, what: str) -> None:
    known = sorted(f.name for f in dataclasses.fields(cls))
    bad = sorted(set(data) - set(known))
    if bad:
        raise ValueError(f"unknown {what} key(s) {bad} in config; known keys: {known}")


def _check_int(x: Any, name: str, lo: int | None = None, hi: int | None = None) -> int:
    if isinstance(x, bool) or not isinstance(x, int):
        raise TypeError(f"{name} must be an integer, got {x!r}")
    if lo is not None and x < lo:
        raise ValueError(f"{name} must be >= {lo}, got {x}")
    if hi is not None and x > hi:
        raise ValueError(f"{name} must be <= {hi}, got {x}")
    return int(x)


def _check_prob(x: Any, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float):
        raise TypeError(f"{name} must be a number in [0, 1], got {x!r}")
    x = float(x)
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {x}")
    return x


def _check_number(x: Any, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float):
        raise TypeError(f"{name} must be a finite number, got {x!r}")
    if not math.isfinite(x):
        raise ValueError(f"{name} must be a finite number, got {x!r}")
    return float(x)


def _check_str(x: Any, name: str) -> str:
    if not isinstance(x, str) or not x:
        raise TypeError(f"{name} must be a non-empty string, got {x!r}")
    return x


def _check_bool(x: Any, name: str) -> bool:
    if not isinstance(x, bool):
        raise TypeError(f"{name} must be true or false, got {x!r}")
    return x


def _check_list(x: Any, name: str, what: str) -> list[Any]:
    if not isinstance(x, list | tuple):
        raise TypeError(f"{name} must be a list of {what}, e.g. [1, 2], got {x!r}")
    if not x:
        raise ValueError(f"{name} must not be empty; give a list of {what}")
    return list(x)


def _check_erasure(x: Any, name: str, M: int, matrix: bool) -> Any:
    """A probability, a list of ``M`` (uplinks) or an ``M x M`` nested list (client links)."""
    shape = f"an M x M nested list (M = {M})" if matrix else f"a list of M = {M} values"
    if isinstance(x, bool) or not isinstance(x, int | float | list | tuple):
        raise TypeError(f"{name} must be a probability or {shape}, got {x!r}")
    if isinstance(x, int | float):
        return _check_prob(x, name)
    if len(x) != M:
        raise ValueError(f"{name} must be a probability or {shape}; got {len(x)} "
                         f"{'rows' if matrix else 'values'}")
    if not matrix:
        return [_check_prob(v, f"{name}[{i}]") for i, v in enumerate(x)]
    out = []
    for i, row in enumerate(x):
        if not isinstance(row, list | tuple) or len(row) != M:
            raise ValueError(f"{name} must be a probability or {shape}; row {i} is {row!r}")
        out.append([_check_prob(v, f"{name}[{i}][{j}]") for j, v in enumerate(row)])
    return out


@dataclasses.dataclass
class Scenario:
    """One network and what to do with it (the CLI's scenario options).

    Attributes
    ----------
    M, s : int
        Clients and straggler tolerance.
    code : {"cyclic", "fractional"}
    construction : str or None
        Cyclic construction passed to :func:`cogc_theory.codes.cyclic_repetition`
        (``None``: its default).
    code_seed : int
        Seed of the cyclic construction.
    exact : bool
        Rational cyclic ``B`` (``exact=True``).
    p : float or list
        Uplink erasure: scalar or ``M`` values.
    eps : float or list
        Client-link erasure: scalar or ``M x M`` nested list.
    reciprocal : bool
    decoder : {"standard", "gcplus", "both"}
    rule : {"max-subset", "individual", "least-squares"}
    trials, seed : int
        Monte Carlo trials and seed.
    rounds : int
        Training rounds.
    problem, scheme : str
        Training problem and scheme (``ct.simulate.train``).
    """

    M: int = 10
    s: int = 2
    code: str = "cyclic"
    construction: str | None = None
    code_seed: int = 0
    exact: bool = False
    p: Any = 0.1
    eps: Any = 0.1
    reciprocal: bool = False
    decoder: str = "both"
    rule: str = "max-subset"
    trials: int = 100_000
    seed: int = 0
    rounds: int = 100
    problem: str = "digits"
    scheme: str = "gcplus"

    def __post_init__(self) -> None:
        self.M = _check_int(self.M, "M", lo=2)
        self.s = _check_int(self.s, f"s (straggler tolerance; at most M-1 = {self.M - 1})", lo=0,
                            hi=self.M - 1)
        if self.code not in CODES:
            raise ValueError(f"code must be one of {CODES}, got {self.code!r}")
        if self.decoder not in DECODERS:
            raise ValueError(f"decoder must be one of {DECODERS}, got {self.decoder!r}")
        if self.rule not in RULES:
            raise ValueError(f"rule must be one of {RULES}, got {self.rule!r}")
        self.trials = _check_int(self.trials, "trials", lo=1)
        self.seed = _check_int(self.seed, "seed", lo=0)
        self.rounds = _check_int(self.rounds, "rounds", lo=1)
        self.code_seed = _check_int(self.code_seed, "code_seed", lo=0)
        if self.construction is not None:
            self.construction = _check_str(self.construction, "construction")
        self.exact = _check_bool(self.exact, "exact")
        self.reciprocal = _check_bool(self.reciprocal, "reciprocal")
        self.problem = _check_str(self.problem, "problem")
        self.scheme = _check_str(self.scheme, "scheme")
        self.p = _check_erasure(self.p, "p (uplink erasure)", self.M, matrix=False)
        self.eps = _check_erasure(self.eps, "eps (client-link erasure)", self.M, matrix=True)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Scenario:
        """Build from a mapping (a TOML ``[scenario]`` table); unknown keys raise."""
        _check_keys(data, cls, "scenario")
        return cls(**dict(data))

    def network(self) -> Any:
        """The :class:`~cogc_theory.network.CooperativeNetwork` this scenario describes."""
        import numpy as np

        from .network import CooperativeNetwork

        p = np.asarray(self.p, dtype=float) if isinstance(self.p, list) else self.p
        eps = np.asarray(self.eps, dtype=float) if isinstance(self.eps, list) else self.eps
        if self.code == "fractional":
            if self.M % (self.s + 1):
                raise ValueError(f"fractional repetition needs (s+1) | M; got M={self.M}, "
                                 f"s={self.s}: choose s+1 dividing M or use --code cyclic")
            return CooperativeNetwork.fractional(self.M, self.s, uplink_erasure=p,
                                                 link_erasure=eps, reciprocal=self.reciprocal)
        kw: dict[str, Any] = {"reciprocal": self.reciprocal}
        if self.construction is not None:
            kw["construction"] = self.construction
        return CooperativeNetwork.cyclic(self.M, self.s, uplink_erasure=p, link_erasure=eps,
                                         seed=self.code_seed, exact=self.exact, **kw)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class Study:
    """The study ``cogc report`` runs.

    Attributes
    ----------
    M : int
    s_values : list of int
    p_grid, eps_grid : list of float
        Uplink erasure grid (client links at ``eps_fixed``) and client-link erasure grid
        (uplinks at ``p_fixed``).
    p_fixed, eps_fixed : float
    mc_trials : int
        Monte Carlo trials per point of the outage curves.
    mc_points : int
        Number of grid points (evenly chosen) that get Monte Carlo points.
    gcplus_exact_max_s : int
        Largest ``s`` for which the exact GC+ curve is computed at ``M`` (the enumeration
        grows like :math:`(1+2^s)^M`); above it GC+ is shown by Monte Carlo only.
    snr_db : list of float
        SNR grid (dB) for the fading plot.
    rate : float
        Rate threshold for Rayleigh fading.
    train_s : int
        Code used for training.
    train_p, train_eps : float
    rounds, train_trials : int
    problem : str
    split : {"dirichlet", "iid"}
        How the training data is split across clients: Dirichlet label skew (non-IID, the
        default) or IID. ``simulate.train``'s own default (IID) is unchanged.
    dirichlet_alpha : float
        Concentration of the Dirichlet split (smaller: more skewed).
    schemes : list of str
    validation_trials : int
        Monte Carlo trials per validation comparison.
    validation_fwer : float
        Family-wise false-alarm rate of the validation campaign.
    validation_quick : bool
        Reduced validation scenario grid.
    crossover_eps : list of float
        Client-link erasures of the trade-off stage (least squares, ``train_s``, ``train_p``).
    crossover_trials : int
        Monte Carlo trials per point of the trade-off stage.
    crossover_target : float
        Target gap of the trade-off stage, as a fraction of the initial gap.
    seed : int
    """

    M: int = 10
    s_values: list[int] = dataclasses.field(default_factory=lambda: [1, 2, 3])
    p_grid: list[float] = dataclasses.field(
        default_factory=lambda: [0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4])
    eps_grid: list[float] = dataclasses.field(
        default_factory=lambda: [0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4])
    p_fixed: float = 0.1
    eps_fixed: float = 0.1
    mc_trials: int = 50_000
    mc_points: int = 4
    gcplus_exact_max_s: int = 2
    snr_db: list[float] = dataclasses.field(
        default_factory=lambda: [0, 5, 10, 15, 20, 25, 30])
    rate: float = 1.0
    train_s: int = 2
    train_p: float = 0.2
    train_eps: float = 0.2
    rounds: int = 200
    train_trials: int = 20
    problem: str = "digits"
    split: str = "dirichlet"
    dirichlet_alpha: float = 0.5
    schemes: list[str] = dataclasses.field(
        default_factory=lambda: ["ideal", "cogc", "gcplus", "fedavg", "gc"])
    validation_trials: int = 100_000
    validation_fwer: float = 1e-3
    validation_quick: bool = False
    crossover_eps: list[float] = dataclasses.field(
        default_factory=lambda: [0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5])
    crossover_trials: int = 20
    crossover_target: float = 1e-3
    seed: int = 0

    def __post_init__(self) -> None:
        self.M = _check_int(self.M, "study.M", lo=2)
        self.s_values = [_check_int(s, "study.s_values entry", lo=0, hi=self.M - 1)
                         for s in _check_list(self.s_values, "study.s_values", "integers")]
        for name in ("p_grid", "eps_grid", "crossover_eps"):
            vals = _check_list(getattr(self, name), f"study.{name}", "probabilities")
            setattr(self, name, [_check_prob(v, f"study.{name} entry") for v in vals])
        self.snr_db = [_check_number(v, "study.snr_db entry")
                       for v in _check_list(self.snr_db, "study.snr_db", "SNR values in dB")]
        for name in ("p_fixed", "eps_fixed", "train_p", "train_eps"):
            setattr(self, name, _check_prob(getattr(self, name), f"study.{name}"))
        for name in ("mc_trials", "rounds", "train_trials", "validation_trials", "mc_points"):
            _check_int(getattr(self, name), f"study.{name}", lo=1)
        _check_int(self.crossover_trials, "study.crossover_trials", lo=2)
        if self.split not in ("dirichlet", "iid"):
            raise ValueError(f"study.split must be 'dirichlet' or 'iid', got {self.split!r}")
        self.dirichlet_alpha = _check_number(self.dirichlet_alpha, "study.dirichlet_alpha")
        if not self.dirichlet_alpha > 0:
            raise ValueError(f"study.dirichlet_alpha must be > 0 (the Dirichlet concentration), "
                             f"got {self.dirichlet_alpha}")
        self.crossover_target = _check_number(self.crossover_target, "study.crossover_target")
        if not 0 < self.crossover_target < 1:
            raise ValueError(f"study.crossover_target must lie in (0, 1) (a fraction of the "
                             f"initial gap), got {self.crossover_target}")
        self.gcplus_exact_max_s = _check_int(self.gcplus_exact_max_s,
                                             "study.gcplus_exact_max_s", lo=0)
        self.train_s = _check_int(self.train_s, "study.train_s", lo=0, hi=self.M - 1)
        self.seed = _check_int(self.seed, "study.seed", lo=0)
        self.rate = _check_number(self.rate, "study.rate (bits per channel use)")
        from .channels import _MAX_RATE

        if not 0 < self.rate <= _MAX_RATE:
            raise ValueError(f"study.rate must lie in (0, {_MAX_RATE:g}] bits, got {self.rate}")
        self.problem = _check_str(self.problem, "study.problem")
        self.schemes = [_check_str(v, "study.schemes entry")
                        for v in _check_list(self.schemes, "study.schemes", "scheme names")]
        self.validation_quick = _check_bool(self.validation_quick, "study.validation_quick")
        fwer = _check_number(self.validation_fwer, "study.validation_fwer")
        if not 0 < fwer < 1:
            raise ValueError(f"study.validation_fwer must be in (0, 1), got "
                             f"{self.validation_fwer}")
        self.validation_fwer = fwer

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, base: Study | None = None) -> Study:
        """Override ``base`` (default: :data:`DEFAULT_STUDY`) with a ``[study]`` table."""
        _check_keys(data, cls, "study")
        base = base if base is not None else default_study()
        return dataclasses.replace(base, **dict(data))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def default_study() -> Study:
    """The embedded default study (a fresh copy)."""
    return Study()


def quick_study() -> Study:
    """A reduced study for tests and smoke runs (well under a minute)."""
    return Study(M=6, s_values=[1, 2], p_grid=[0.05, 0.1, 0.2, 0.3],
                 eps_grid=[0.05, 0.1, 0.2, 0.3], mc_trials=4000, mc_points=2,
                 gcplus_exact_max_s=2, snr_db=[0, 10, 20, 30], train_s=1, rounds=20,
                 train_trials=3, validation_trials=5000, validation_quick=True,
                 crossover_eps=[0.1, 0.4], crossover_trials=3)


DEFAULT_STUDY = default_study()
QUICK_STUDY = quick_study()
