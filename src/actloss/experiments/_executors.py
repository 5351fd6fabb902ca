"""Where the cells run: in this process, in local processes, or on a Dask cluster.

Each executor yields ``(cell, result)`` pairs as cells finish, in whatever order they finish;
the caller writes each one to disk at once. A cell's result never depends on the executor:
:func:`run_cell` seeds everything inside the cell, and the data set is the same arrays
everywhere (sent with each cell to a process pool, scattered once to a Dask cluster).

Workers never outlive the command: each local worker (process pool or Dask ``LocalCluster``)
asks the kernel to kill it when its parent dies (Linux ``prctl(PR_SET_PDEATHSIG)``; elsewhere a
thread that watches the parent), so SIGKILL or SIGTERM of ``actloss compare`` takes the workers
with it; an exception or Ctrl-C in the parent terminates them at once instead of waiting for
the running cells. Local workers ignore SIGINT: Ctrl-C in a terminal reaches the whole process
group, and the parent alone decides (the finished cells are already on disk).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager

from ._cell import clean, run_cell


_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def _failed(exc: BaseException) -> dict:
    return clean({"status": "failed", "error": f"{type(exc).__name__}: {exc}".splitlines()[0],
                  "time_s": 0.0, "warnings": []})


def die_with_parent(parent_pid: int) -> None:
    """In a worker process: exit when ``parent_pid`` (the process that started it) dies."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(1, int(signal.SIGKILL), 0, 0, 0) == 0:  # 1 = PR_SET_PDEATHSIG
                if os.getppid() != parent_pid:  # it died before the call: nobody will signal
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass

    def watch():
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os._exit(1)
    threading.Thread(target=watch, name="actloss-parent-watch", daemon=True).start()


def _init_worker(parent_pid: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent_pid)


def _dask_worker_setup(parent_pid: int) -> int:
    """Run on each LocalCluster worker. Its parent is this process (where the nannies live) or,
    started by a fork server, that server, which exits when this process dies: either way the
    worker dies with its parent."""
    parent = os.getppid()
    if parent == parent_pid:
        die_with_parent(parent)
    else:
        import psutil  # a dependency of Dask distributed

        try:
            if psutil.Process(parent).ppid() == parent_pid:
                die_with_parent(parent)
        except psutil.Error:
            pass
    return os.getpid()


# What a cell needs, imported once by the fork server that starts a LocalCluster's workers
# (distributed first, as Dask itself preloads it) instead of by every worker at its first cell.
_PRELOAD = ("distributed", "threadpoolctl", "actloss.experiments._cell", "actloss.models",
            "actloss.layers", "actloss.callbacks", "actloss.optimizers",
            "actloss.diagnostics._callback")


@contextmanager
def _fork_server():
    """Start the LocalCluster's worker processes from a fork server (where the platform has
    one) that has imported :data:`_PRELOAD`: with Dask's default, ``spawn``, each worker
    imported distributed and actloss itself; measured on 2 busy cores, the cluster's start,
    first cells and close took about 1.5 s less."""
    import multiprocessing as mp

    import dask

    if "forkserver" not in mp.get_all_start_methods():
        yield
        return
    with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
        from distributed.utils import get_mp_context

        get_mp_context().set_forkserver_preload(list(_PRELOAD))  # after Dask's own choice
        yield


def _terminate(pool) -> None:
    """Stop a process pool now: cancel what has not started, kill what runs."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        if p.is_alive():
            p.terminate()
    for p in processes:
        p.join(5)


def describe(jobs: int = 1, scheduler: str | None = None) -> str:
    if scheduler == "local":
        return f"a local Dask cluster of {jobs or os.cpu_count()} worker processes"
    if scheduler:
        return f"the Dask cluster at {scheduler}"
    return "this process" if jobs <= 1 else f"{jobs} local processes"


def execute(cells, ds, jobs: int = 1, scheduler: str | None = None):
    """Run ``cells`` on ``ds`` and yield ``(cell, result)`` as each finishes.

    ``scheduler``: ``None`` (local), ``"local"`` (start a Dask ``LocalCluster`` of ``jobs``
    worker processes, all cores when ``jobs`` is 0) or a Dask scheduler address such as
    ``"tcp://10.0.0.5:8786"``. Without a scheduler, ``jobs > 1`` uses a process pool.
    """
    cells = list(cells)
    if not cells:
        return
    if scheduler:
        yield from _dask(cells, ds, scheduler, jobs)
    elif jobs > 1 and len(cells) > 1:
        yield from _processes(cells, ds, min(jobs, len(cells)))
    else:
        for cell in cells:
            yield cell, run_cell(cell, ds)


@contextmanager
def _single_threaded_children():
    """One BLAS/OpenMP thread in the processes started inside (they read it at start-up)."""
    saved = {k: os.environ.get(k) for k in _THREAD_VARS}
    os.environ.update({k: "1" for k in _THREAD_VARS})
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _result(future) -> dict:
    try:
        return future.result()
    except Exception as exc:  # a worker that died (killed, out of memory)
        return _failed(exc)


def _processes(cells, ds, jobs: int):
    """``jobs`` processes: this one and ``jobs - 1`` workers. This process trains cells too,
    taking them from the end of the queue while the workers take them from the front: it has
    actloss imported already, so it works while the workers start (about a second each, which
    two fresh workers spent idle-waiting before), and one process fewer is started."""
    # spawn: a clean interpreter per worker (no forked locks or threads), the same on every OS
    context = multiprocessing.get_context("spawn")
    # The data travel with each cell, not in the initializer's arguments: those are written
    # to the new process before it runs, and a megabyte of them blocked the parent until that
    # worker had imported actloss (0.75 s per worker measured, one worker after the other);
    # a cell's copy goes through the pool's queue instead, in a few milliseconds.
    pool = ProcessPoolExecutor(jobs - 1, mp_context=context, initializer=_init_worker,
                               initargs=(os.getpid(),))
    try:
        with _single_threaded_children():  # the workers start during the first submits
            futures = {pool.submit(run_cell, cell, ds): cell for cell in cells}
        pending, spare = set(futures), list(futures)
        while pending:
            done = [f for f in futures if f in pending and f.done()]
            for future in done:
                pending.discard(future)
                yield futures[future], _result(future)
            if done:
                continue
            # the last cell no worker has started (a started one cannot be cancelled; then
            # every cell before it has started too, so there is nothing left to take)
            future = spare.pop() if spare else None
            if future is not None and future.cancel():
                pending.discard(future)
                yield futures[future], run_cell(futures[future], ds)
            else:
                spare.clear()
                wait(pending, return_when=FIRST_COMPLETED)
    except BaseException:  # Ctrl-C, an error, or the caller stopped early: do not wait
        _terminate(pool)
        raise
    # the idle workers exit while the caller writes the results (joined at interpreter exit)
    pool.shutdown(wait=False)


def _dask(cells, ds, scheduler: str, jobs: int):
    try:
        from distributed import Client, LocalCluster
        from distributed import as_completed as dask_as_completed
    except ImportError as exc:
        raise ImportError("--scheduler needs Dask distributed: pip install 'actloss[dask]'") \
            from exc
    cluster = None
    try:
        if scheduler == "local":
            with _fork_server():
                cluster = LocalCluster(n_workers=jobs or os.cpu_count(), threads_per_worker=1,
                                       processes=True, host="127.0.0.1",
                                       dashboard_address=":0")
            client = Client(cluster)
            client.run(_dask_worker_setup, os.getpid())
        else:
            try:
                client = Client(scheduler, timeout="10s")
            except OSError as exc:
                raise ValueError(f"--scheduler: cannot reach the Dask scheduler at "
                                 f"{scheduler!r} ({exc})".splitlines()[0]) from None
        try:
            data = client.scatter(ds, broadcast=True, hash=False)
            futures = [client.submit(run_cell, cell, data, pure=False) for cell in cells]
            index = {future.key: i for i, future in enumerate(futures)}
            for future in dask_as_completed(futures):
                try:
                    result = future.result()
                except Exception as exc:  # a worker lost mid-cell
                    result = _failed(exc)
                yield cells[index[future.key]], result
        finally:
            client.close()
    finally:
        if cluster is not None:
            cluster.close()
