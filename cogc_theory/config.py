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

    [sweep]
    task = "outage-exact"
    out = "results/sw"       # relative to this file's folder
    [sweep.grid]
    M = [10]
    s = [1, 2]

**Paths** in a config file (the ``[sweep]`` table's ``out``) are relative to the folder of the
file, so a config means the same wherever the command runs; paths given on the command line
(``--out``) are relative to the working directory.

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
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._validate import (
    check_bool,
    check_erasure,
    check_int,
    check_list,
    check_real,
    check_str,
)
from .channels import MAX_RATE
from .scenario import NetworkSpec
from .vocabulary import CODES, DECODERS, RULES, check_choice

__all__ = ["DEFAULT_STUDY", "QUICK_STUDY", "TABLES", "Scenario", "Study", "load_table", "load_toml"]

#: Decoder choices of a scenario: each decoder, or both side by side.
DECODER_CHOICES = DECODERS + ("both",)


def load_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML file into a dict; errors name the file and the fix.

    Raises
    ------
    ValueError
        The file is missing, a directory, unreadable, not UTF-8, not valid TOML, or nested
        too deeply for the parser.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "study.toml"
    >>> _ = path.write_text('[scenario]\\nM = 6\\ns = 1\\np = 0.2\\n')
    >>> load_toml(path)
    {'scenario': {'M': 6, 's': 1, 'p': 0.2}}
    >>> _ = path.write_text('[scenario\\nM = 6\\n')
    >>> load_toml(path)
    Traceback (most recent call last):
    ...
    ValueError: config file '...study.toml' is not valid TOML: ...
    """
    path = Path(path)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"config file {str(path)!r} is not valid TOML: {exc}") from None
    except RecursionError:
        # tomllib parses nested arrays and inline tables recursively (a few hundred levels)
        raise ValueError(f"config file {str(path)!r} nests arrays or tables too deeply to be "
                         "read (hundreds of levels); a configuration needs at most two (an "
                         "M x M matrix)") from None
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

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "cogc.toml"
    >>> _ = path.write_text('[scenario]\\nM = 6\\n\\n[study]\\ns_values = [1]\\n')
    >>> load_table(path, "study")
    {'s_values': [1]}
    >>> load_table(path, "sweep")        # a file of other tables only
    Traceback (most recent call last):
    ...
    ValueError: config file '...cogc.toml' has no [sweep] table...
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

    Examples
    --------
    >>> sc = Scenario.from_mapping({"M": 6, "s": 1, "p": 0.2, "eps": 0.1, "decoder": "gcplus"})
    >>> sc.M, sc.s, sc.decoder, sc.trials          # unset keys keep their defaults
    (6, 1, 'gcplus', 100000)
    >>> net = sc.network()
    >>> net.M, float(net.p[0])
    (6, 0.2)
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
        self.M = check_int(self.M, "M", lo=2)
        self.s = check_int(self.s, f"s (straggler tolerance; at most M-1 = {self.M - 1})", lo=0,
                           hi=self.M - 1)
        check_choice(self.code, CODES, "code")
        check_choice(self.decoder, DECODER_CHOICES, "decoder")
        check_choice(self.rule, RULES, "rule")
        self.trials = check_int(self.trials, "trials", lo=1)
        self.seed = check_int(self.seed, "seed", lo=0)
        self.rounds = check_int(self.rounds, "rounds", lo=1)
        self.code_seed = check_int(self.code_seed, "code_seed", lo=0)
        if self.construction is not None:
            self.construction = check_str(self.construction, "construction")
        self.exact = check_bool(self.exact, "exact")
        self.reciprocal = check_bool(self.reciprocal, "reciprocal")
        self.problem = check_str(self.problem, "problem")
        self.scheme = check_str(self.scheme, "scheme")
        self.p = check_erasure(self.p, "p (uplink erasure)", self.M, matrix=False)
        self.eps = check_erasure(self.eps, "eps (client-link erasure)", self.M, matrix=True)
        self.spec()                       # the network parameters together (code and M, s)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Scenario:
        """Build from a mapping (a TOML ``[scenario]`` table); unknown keys raise."""
        _check_keys(data, cls, "scenario")
        return cls(**dict(data))

    def spec(self) -> NetworkSpec:
        """The network part of the scenario, checked (a :class:`~cogc_theory.scenario.NetworkSpec`).

        >>> Scenario(M=4, s=1, p=0.1, eps=0.2).spec().uplink_erasure
        0.1
        """
        return NetworkSpec(self.M, self.s, code=self.code, uplink_erasure=self.p,
                           link_erasure=self.eps, code_seed=self.code_seed, exact=self.exact,
                           construction=self.construction, reciprocal=self.reciprocal)

    def network(self) -> Any:
        """The :class:`~cogc_theory.network.CooperativeNetwork` this scenario describes."""
        return self.spec().network()

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
    scale_M, scale_s : list of int
        Clients and straggler tolerances of the "outage as M grows" stage (cyclic and
        fractional repetition; fractional points need :math:`s+1` to divide :math:`M`).
    scale_p, scale_eps : float or None
        Erasures of that stage (default 0.02 each, where some s of the grid reaches the
        target at every M for fractional repetition; at the study's 0.1 none does; ``None``:
        ``p_fixed`` / ``eps_fixed``).
    scale_trials : int
        Monte Carlo rounds per point of that stage where no exact route applies.
    scale_target : float
        Outage target of its smallest-s table.
    scale_seconds : float
        Time budget of that stage: Monte Carlo stops (the row says so) when it is spent.
    seed : int

    Examples
    --------
    >>> st = Study.from_mapping({"M": 6, "s_values": [1, 2], "rounds": 20})
    >>> st.M, st.s_values, st.rounds, st.problem
    (6, [1, 2], 20, 'digits')
    >>> QUICK_STUDY.M < DEFAULT_STUDY.M
    True
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
    scale_M: list[int] = dataclasses.field(default_factory=lambda: [10, 30, 100, 300, 1000])
    scale_s: list[int] = dataclasses.field(default_factory=lambda: [1, 4, 9])
    scale_p: float | None = 0.02
    scale_eps: float | None = 0.02
    scale_trials: int = 2000
    scale_target: float = 1e-3
    scale_seconds: float = 120.0
    seed: int = 0

    def __post_init__(self) -> None:
        self.M = check_int(self.M, "study.M", lo=2)
        self.s_values = [check_int(s, "study.s_values entry", lo=0, hi=self.M - 1)
                         for s in check_list(self.s_values, "study.s_values", "integers")]
        for name in ("p_grid", "eps_grid", "crossover_eps"):
            vals = check_list(getattr(self, name), f"study.{name}", "probabilities")
            setattr(self, name, [check_real(v, f"study.{name} entry", lo=0, hi=1,
                                            kind="probability") for v in vals])
        self.snr_db = [check_real(v, "study.snr_db entry")
                       for v in check_list(self.snr_db, "study.snr_db", "SNR values in dB")]
        for name in ("p_fixed", "eps_fixed", "train_p", "train_eps"):
            setattr(self, name, check_real(getattr(self, name), f"study.{name}", lo=0, hi=1,
                                           kind="probability"))
        for name in ("mc_trials", "rounds", "train_trials", "validation_trials", "mc_points",
                     "scale_trials"):
            check_int(getattr(self, name), f"study.{name}", lo=1)
        check_int(self.crossover_trials, "study.crossover_trials", lo=2)
        if self.split not in ("dirichlet", "iid"):
            raise ValueError(f"study.split must be 'dirichlet' or 'iid', got {self.split!r}")
        self.dirichlet_alpha = check_real(self.dirichlet_alpha, "study.dirichlet_alpha")
        if not self.dirichlet_alpha > 0:
            raise ValueError(f"study.dirichlet_alpha must be > 0 (the Dirichlet concentration), "
                             f"got {self.dirichlet_alpha}")
        self.crossover_target = check_real(self.crossover_target, "study.crossover_target")
        if not 0 < self.crossover_target < 1:
            raise ValueError(f"study.crossover_target must lie in (0, 1) (a fraction of the "
                             f"initial gap), got {self.crossover_target}")
        from .simulate._mc import check_trials

        for name in ("mc_trials", "validation_trials", "scale_trials"):  # the MC limit, up front
            check_trials(getattr(self, name), f"study.{name}")
        self.gcplus_exact_max_s = check_int(self.gcplus_exact_max_s,
                                            "study.gcplus_exact_max_s", lo=0)
        self.train_s = check_int(self.train_s, "study.train_s", lo=0, hi=self.M - 1)
        self.seed = check_int(self.seed, "study.seed", lo=0)
        self.rate = check_real(self.rate, "study.rate (bits per channel use)")
        if not 0 < self.rate <= MAX_RATE:
            raise ValueError(f"study.rate must lie in (0, {MAX_RATE:g}] bits, got {self.rate}")
        self.problem = check_str(self.problem, "study.problem")
        self.schemes = [check_str(v, "study.schemes entry")
                        for v in check_list(self.schemes, "study.schemes", "scheme names")]
        self.validation_quick = check_bool(self.validation_quick, "study.validation_quick")
        fwer = check_real(self.validation_fwer, "study.validation_fwer")
        if not 0 < fwer < 1:
            raise ValueError(f"study.validation_fwer must be in (0, 1), got "
                             f"{self.validation_fwer}")
        self.validation_fwer = fwer
        self._check_scale()

    def _check_scale(self) -> None:
        from .codes import MAX_M

        self.scale_M = [check_int(v, "study.scale_M entry", lo=2, hi=MAX_M)
                        for v in check_list(self.scale_M, "study.scale_M", "integers")]
        self.scale_s = [check_int(v, "study.scale_s entry", lo=0)
                        for v in check_list(self.scale_s, "study.scale_s", "integers")]
        for name in ("scale_p", "scale_eps"):
            if getattr(self, name) is not None:
                setattr(self, name, check_real(getattr(self, name), f"study.{name}", lo=0,
                                               hi=1, kind="probability"))
        self.scale_target = check_real(self.scale_target, "study.scale_target")
        if not 0 < self.scale_target < 1:
            raise ValueError(f"study.scale_target must lie in (0, 1) (an outage probability), "
                             f"got {self.scale_target}")
        self.scale_seconds = check_real(self.scale_seconds, "study.scale_seconds")
        if not self.scale_seconds > 0:
            raise ValueError(f"study.scale_seconds must be > 0 (the stage's time budget in "
                             f"seconds), got {self.scale_seconds}")

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
                 crossover_eps=[0.1, 0.4], crossover_trials=3, scale_M=[10, 30],
                 scale_s=[1, 4], scale_trials=200, scale_seconds=20.0)


DEFAULT_STUDY = default_study()
QUICK_STUDY = quick_study()
