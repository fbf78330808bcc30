"""Where the units run (internal): the local machine or a Dask cluster.

A backend has ``submit(fn, *args) -> future``, ``wait_any(futures) -> (done, pending)`` and
optionally ``capacity`` (units in flight), ``cancel(futures)`` and ``close(cancel)``.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from .._validate import check_int

__all__ = ["WATCH_SECONDS", "DaskBackend", "LocalBackend", "check_backend", "make_backend"]

_DASK_HINT = "pip install 'cogc-theory[dask]'"


#: How often a local worker checks that the sweep process that started it is alive.
WATCH_SECONDS = 0.5


def _init_worker(n_threads: int, sweep_pid: int) -> None:
    """Worker initializer: at most ``n_threads`` BLAS/OpenMP threads per process (no
    oversubscription), and a watchdog that ends the worker when the sweep process dies."""
    _watch_parent(sweep_pid)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return
    threadpool_limits(n_threads)


def _watch_parent(sweep_pid: int) -> None:
    """Exit this worker (``os._exit``) soon after the process ``sweep_pid`` that started it
    dies, even by SIGKILL, which leaves it no chance to stop its pool.

    POSIX: a process whose parent dies is adopted by another (init or a subreaper), so
    :func:`os.getppid` changes; a daemon thread checks it every :data:`WATCH_SECONDS`. When
    the worker's parent is not the sweep process itself (a ``forkserver`` start, or a parent
    already dead at start), the thread also checks that ``sweep_pid`` still exists. Workers
    hold no file of the sweep (the sweep process writes every file), so ending them loses
    only unfinished units, which a rerun recomputes. Elsewhere (Windows) there is no
    watchdog.
    """
    if os.name != "posix":        # pragma: no cover - os.kill(pid, 0) would end the process
        return
    ppid = os.getppid()

    def orphaned() -> bool:
        if os.getppid() != ppid:
            return True
        if ppid == sweep_pid:
            return False
        try:
            os.kill(sweep_pid, 0)                 # signal 0: an existence check only
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def watch() -> None:
        while not orphaned():
            time.sleep(WATCH_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="cogc-sweep-parent-watchdog", daemon=True).start()


class LocalBackend:
    """The local machine: a process pool of ``n_workers``, or the calling process if 1.

    Each worker process is limited to ``cpu_count // n_workers`` BLAS/OpenMP threads (with
    :mod:`threadpoolctl`), so that ``n_workers`` processes do not oversubscribe the cores, and
    exits on its own when the sweep process dies (even killed by SIGKILL, on POSIX systems).

    Examples
    --------
    With one worker the units run in the calling process:

    >>> from cogc_theory.sweep import LocalBackend
    >>> backend = LocalBackend(1)
    >>> future = backend.submit(pow, 2, 10)
    >>> done, pending = backend.wait_any([future])
    >>> [f.result() for f in done], pending
    ([1024], set())
    >>> backend.close(False)
    """

    def __init__(self, n_workers: int | None = None) -> None:
        if n_workers is None:
            n_workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") \
                else (os.cpu_count() or 1)
        self.n_workers = check_int(n_workers, "n_workers", lo=1)
        # units in flight; 1 in this process so that each unit is written as soon as it is done
        self.capacity = 2 * self.n_workers if self.n_workers > 1 else 1
        self._pool = None
        if self.n_workers > 1:
            cores = os.cpu_count() or 1
            self._pool = cf.ProcessPoolExecutor(
                self.n_workers, initializer=_init_worker,
                initargs=(max(1, cores // self.n_workers), os.getpid()))

    def submit(self, fn: Callable[..., Any], *args: Any) -> cf.Future:
        if self._pool is not None:
            return self._pool.submit(fn, *args)
        fut: cf.Future = cf.Future()
        try:
            fut.set_result(fn(*args))
        except Exception as exc:
            fut.set_exception(exc)
        return fut

    def wait_any(self, futures: set[Any]) -> tuple[set[Any], set[Any]]:
        done, pending = cf.wait(futures, return_when=cf.FIRST_COMPLETED)
        return set(done), set(pending)

    def cancel(self, futures: set[Any]) -> None:
        for fut in futures:
            fut.cancel()

    def close(self, cancel: bool = False) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=cancel)


class DaskBackend:
    """A Dask cluster: a scheduler address or an existing ``dask.distributed.Client``.

    Requires the optional dependency (``pip install 'cogc-theory[dask]'``); an address opens a
    client that :meth:`close` closes, a client passed in is left open.

    Examples
    --------
    A Dask client in this process (on a cluster, pass its scheduler address instead):

    >>> from dask.distributed import Client
    >>> client = Client(processes=False, n_workers=1, threads_per_worker=1,
    ...                 dashboard_address=None)
    >>> from cogc_theory.sweep import DaskBackend
    >>> backend = DaskBackend(client)
    >>> done, pending = backend.wait_any([backend.submit(pow, 2, 10)])
    >>> [f.result() for f in done]
    [1024]
    >>> backend.close(False)                      # a client passed in is left open
    >>> client.close()
    """

    def __init__(self, scheduler: Any) -> None:
        try:
            import distributed
        except ImportError as exc:
            raise ImportError(
                f"scheduler={scheduler!r} needs Dask: {_DASK_HINT}"
            ) from exc
        self._distributed = distributed
        self._own = not isinstance(scheduler, distributed.Client)
        if self._own and not isinstance(scheduler, str):
            raise TypeError(f"scheduler must be None, an address string such as "
                            f"'tcp://host:8786' or a dask.distributed.Client, got {scheduler!r}")
        self.client = distributed.Client(scheduler) if self._own else scheduler
        self.capacity = max(8, 4 * sum(self.client.nthreads().values()))

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False)

    def wait_any(self, futures: set[Any]) -> tuple[set[Any], set[Any]]:
        done, pending = self._distributed.wait(list(futures), return_when="FIRST_COMPLETED")
        return set(done), set(pending)

    def cancel(self, futures: set[Any]) -> None:
        self.client.cancel(list(futures))

    def close(self, cancel: bool = False) -> None:
        if self._own:
            self.client.close()


def check_backend(scheduler: Any, n_workers: Any) -> None:
    """Check the backend arguments without starting anything (run before a sweep writes).

    Raises
    ------
    TypeError, ValueError
        ``n_workers`` not an integer >= 1, ``n_workers`` with a Dask scheduler, or a
        scheduler that is neither an address string, a Dask client nor a backend object.
    ImportError
        A Dask scheduler without Dask installed (with the install hint).

    Examples
    --------
    >>> check_backend(None, 2)
    >>> check_backend("tcp://10.0.0.1:8786", 2)
    Traceback (most recent call last):
    ...
    ValueError: n_workers applies to the local backend only; ...
    """
    if scheduler is None:
        if n_workers is not None:
            check_int(n_workers, "n_workers", lo=1)
        return
    if n_workers is not None:
        raise ValueError("n_workers applies to the local backend only; the size of a Dask "
                         "cluster is set where the cluster is started (leave n_workers=None)")
    if hasattr(scheduler, "submit") and hasattr(scheduler, "wait_any"):
        return                                   # a backend object of the user's own
    try:
        import distributed
    except ImportError as exc:
        raise ImportError(f"scheduler={scheduler!r} needs Dask: {_DASK_HINT}") from exc
    if not isinstance(scheduler, str | distributed.Client):
        raise TypeError(f"scheduler must be None, an address string such as "
                        f"'tcp://host:8786' or a dask.distributed.Client, got {scheduler!r}")


def make_backend(scheduler: Any, n_workers: int | None) -> Any:
    """The backend of ``run_sweep(scheduler=..., n_workers=...)`` (checked first)."""
    check_backend(scheduler, n_workers)
    if scheduler is None:
        return LocalBackend(n_workers)
    if hasattr(scheduler, "submit") and hasattr(scheduler, "wait_any"):
        return scheduler  # a backend object of the user's own
    return DaskBackend(scheduler)
