"""Where the cells run: in this process, in local processes, or on a Dask cluster.

Each executor yields ``(cell, result)`` pairs as cells finish, in whatever order they finish;
the caller writes each one to disk at once. A cell's result never depends on the executor:
:func:`run_cell` seeds everything inside the cell, and the data set is the same arrays
everywhere (sent with each cell to a process pool, scattered once to a Dask cluster).

This process always trains too: with ``jobs`` local processes it is one of them, taking cells
from the back of the queue while a dispatcher thread hands the workers theirs from the front,
one at a time; with ``scheduler="local"`` it trains while a thread starts the LocalCluster,
which then gets every cell left. Workers are sent :func:`_cell.run_cell` (it pickles by
reference); this process calls this module's ``run_cell``, which tests may replace.

Workers never outlive the command: each local worker (process pool or Dask ``LocalCluster``)
asks the kernel to kill it when its parent dies (Linux ``prctl(PR_SET_PDEATHSIG)``; elsewhere a
thread that watches the parent), so SIGKILL or SIGTERM of ``actloss compare`` takes the workers
with it; an exception or Ctrl-C in the parent terminates them at once instead of waiting for
the running cells. Local workers ignore SIGINT: Ctrl-C in a terminal reaches the whole process
group, and the parent alone decides (the finished cells are already on disk).
"""

from __future__ import annotations

import collections
import functools
import importlib.util
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from queue import Empty, SimpleQueue

from . import _cell
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
    """Dask's settings for the LocalCluster's worker processes.

    They start from a fork server (where the platform has one) that has imported
    :data:`_PRELOAD`: with Dask's default, ``spawn``, each worker imported distributed and
    actloss itself; measured on 2 busy cores, the cluster's start, first cells and close took
    about 1.5 s less. And without Dask's ``MALLOC_TRIM_THRESHOLD_=65536``: glibc then gives
    memory back to the system at nearly every free of a layer's arrays, and a digits cell ran
    1.4 to 1.8x slower (0.7 -> 1.2 s measured), the whole difference between a cell here and
    on the cluster (:func:`_start_fork_server` starts the server before Dask sets it). And
    without the workers' statistical profiler, which samples the cell's thread every 10 ms
    (5 to 8% of a cell's CPU measured) for a dashboard this cluster does not show."""
    import multiprocessing as mp

    import dask

    settings = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
                "distributed.worker.profile.enabled": False}
    if "forkserver" not in mp.get_all_start_methods():
        with dask.config.set(settings):
            yield
        return
    settings["distributed.worker.multiprocessing-method"] = "forkserver"
    with dask.config.set(settings):
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


class _Cells:
    """The cells still to run, shared by this process and a dispatcher thread: workers are fed
    from the front, this process takes from the back, each cell is taken exactly once."""

    def __init__(self, cells):
        self._cells = collections.deque(cells)
        self._lock = threading.Lock()

    def front(self):
        with self._lock:
            return self._cells.popleft() if self._cells else None

    def back(self):
        with self._lock:
            return self._cells.pop() if self._cells else None

    def put_back(self, cell) -> None:
        with self._lock:
            self._cells.appendleft(cell)

    def take_all(self) -> list:
        with self._lock:
            taken = list(self._cells)
            self._cells.clear()
            return taken


def _gather(queue: _Cells, ds, total: int, results: SimpleQueue, train_here):
    """Yield ``total`` (cell, result) pairs: this process trains cells from the back of
    ``queue`` while ``train_here()`` says so, and between cells passes on what the dispatcher
    thread put into ``results`` (a pair, or an exception, which is raised here)."""
    given = 0
    while given < total:
        try:
            message = results.get_nowait()
        except Empty:
            cell = queue.back() if train_here() else None
            if cell is not None:
                given += 1
                yield cell, run_cell(cell, ds)
                continue
            try:
                message = results.get(timeout=0.25)  # a timeout keeps Ctrl-C responsive
            except Empty:
                continue
        if isinstance(message, BaseException):
            raise message
        given += 1
        yield message


def _processes(cells, ds, jobs: int):
    """``jobs`` processes: this one and ``jobs - 1`` workers. A dispatcher thread hands each
    worker its next cell from the front of the queue as soon as it finishes one (a pool that
    queues cells ahead committed them to a busy worker, and this process, done with its
    share, waited 1.5 s of a 4.6 s grid for them); this process trains cells from the back
    meanwhile: it has actloss imported already, so it works while the workers start, and one
    process fewer is started."""
    # spawn: a clean interpreter per worker (no forked locks or threads), the same on every OS
    context = multiprocessing.get_context("spawn")
    workers = jobs - 1
    # The data travel with each cell, not in the initializer's arguments: those are written
    # to the new process before it runs, and a megabyte of them blocked the parent until that
    # worker had imported actloss (0.75 s per worker measured, one worker after the other);
    # a cell's copy goes through the pool's queue instead, in a few milliseconds.
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                               initargs=(os.getpid(),))
    queue, results, stop = _Cells(cells), SimpleQueue(), threading.Event()
    running = {}
    try:
        with _single_threaded_children():  # the workers start during the first submits
            for _ in range(workers):
                cell = queue.front()
                if cell is not None:
                    running[pool.submit(_cell.run_cell, cell, ds)] = cell
        feeder = threading.Thread(target=_feed_pool, name="actloss-feed-pool", daemon=True,
                                  args=(pool, workers, ds, queue, running, results, stop))
        feeder.start()
        yield from _gather(queue, ds, len(cells), results, lambda: True)
    except BaseException:  # Ctrl-C, an error, or the caller stopped early: do not wait
        stop.set()
        _terminate(pool)
        raise
    # the idle workers exit while the caller writes the results (joined at interpreter exit)
    pool.shutdown(wait=False)


def _feed_pool(pool, workers: int, ds, queue: _Cells, running: dict, results: SimpleQueue,
               stop) -> None:
    """The dispatcher thread of :func:`_processes`: one cell per worker at a time."""
    try:
        while running and not stop.is_set():
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                results.put((running.pop(future), _result(future)))
            while len(running) < workers and not stop.is_set():
                cell = queue.front()
                if cell is None:
                    break
                try:
                    running[pool.submit(_cell.run_cell, cell, ds)] = cell
                except (BrokenProcessPool, RuntimeError):  # a worker died: this process
                    queue.put_back(cell)                  # trains the cells left
                    break
    except BaseException as exc:  # to the main thread, which raises it
        results.put(exc)


def _start_fork_server() -> None:
    """Start the fork server of the LocalCluster's workers now, with :data:`_PRELOAD`: it
    imports distributed and actloss on another core while this process imports distributed
    and trains (Dask uses the running server; its own preload choice comes too late to
    matter). One BLAS thread in it, so in the workers it forks."""
    import multiprocessing as mp

    if "forkserver" not in mp.get_all_start_methods():
        return
    from multiprocessing import forkserver

    mp.get_context("forkserver").set_forkserver_preload(list(_PRELOAD))
    with _single_threaded_children():
        forkserver.ensure_running()


def _dask(cells, ds, scheduler: str, jobs: int):
    """Cells on a Dask cluster. With ``scheduler="local"`` this process trains cells (from the
    back) while a thread imports distributed and starts the LocalCluster (2.5 s measured on 2
    cores); once the cluster is up, it gets all the remaining cells at once."""
    try:
        found = importlib.util.find_spec("distributed") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise ImportError("--scheduler needs Dask distributed: pip install 'actloss[dask]'")
    local = scheduler == "local"
    if local:
        _start_fork_server()
    queue, results = _Cells(cells), SimpleQueue()
    ready, stop = threading.Event(), threading.Event()
    dispatcher = threading.Thread(target=_feed_dask, name="actloss-feed-dask", daemon=True,
                                  args=(ds, scheduler, jobs, queue, results, ready, stop,
                                        os.getpid()))
    dispatcher.start()
    try:
        yield from _gather(queue, ds, len(cells), results,
                           lambda: local and not ready.is_set())
    finally:  # done, an error or Ctrl-C: the thread closes the client and the cluster
        stop.set()
        dispatcher.join(60)


def _feed_dask(ds, scheduler, jobs, queue: _Cells, results: SimpleQueue, ready, stop,
               parent_pid: int) -> None:
    """The dispatcher thread of :func:`_dask`: start or reach the cluster, send it the cells
    left, pass each result on as it arrives, and close everything when ``stop`` is set."""
    cluster = client = None
    try:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise ImportError("--scheduler needs Dask distributed: pip install "
                              "'actloss[dask]'") from exc
        if scheduler == "local":
            with _fork_server():
                cluster = LocalCluster(n_workers=jobs or os.cpu_count(), threads_per_worker=1,
                                       processes=True, host="127.0.0.1",
                                       dashboard_address=":0")
            client = Client(cluster)
            client.run(_dask_worker_setup, parent_pid)
        else:
            try:
                client = Client(scheduler, timeout="10s")
            except OSError as exc:
                raise ValueError(f"--scheduler: cannot reach the Dask scheduler at "
                                 f"{scheduler!r} ({exc})".splitlines()[0]) from None
        if stop.is_set():
            return
        data = client.scatter(ds, broadcast=True, hash=False)
        ready.set()  # from here on this process trains no new cell
        futures = []
        for cell in queue.take_all():
            # the cell module's function: it pickles by reference
            future = client.submit(_cell.run_cell, cell, data, pure=False)
            future.add_done_callback(functools.partial(_deliver, cell, results))
            futures.append(future)
        stop.wait()
    except BaseException as exc:  # to the main thread, which raises it
        results.put(exc)
    finally:
        ready.set()
        try:
            if client is not None:
                client.close()
        finally:
            if cluster is not None:
                cluster.close()


def _deliver(cell, results: SimpleQueue, future) -> None:
    try:
        result = future.result()
    except Exception as exc:  # a worker lost mid-cell
        result = _failed(exc)
    results.put((cell, result))
