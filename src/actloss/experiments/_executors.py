"""Where the cells run: in this process, in local processes, or on a Dask cluster.

Each executor yields ``(cell, result)`` pairs as cells finish, in whatever order they finish;
the caller writes each one to disk at once. A cell's result never depends on the executor:
:func:`run_cell` seeds everything inside the cell, and the data set is the same arrays
everywhere (sent with each cell to a process pool, scattered once to a Dask cluster).

This process always trains too, taking cells from the queue (costliest first) while a
dispatcher thread hands the workers theirs, one at a time: with ``jobs`` local processes it is
one of them; with ``scheduler="local"`` it trains beside the LocalCluster's workers, from
before the cluster is up (see :mod:`._dask`). Workers are sent :func:`_cell.run_cell` (it
pickles by reference); this process calls this module's ``run_cell``, which tests may replace.

Workers never outlive the command: each process-pool worker asks the kernel to kill it when
its parent dies (Linux ``prctl(PR_SET_PDEATHSIG)``; elsewhere a thread that watches the
parent), and a LocalCluster's helper process watches the command (:mod:`._dask`), so SIGKILL
or SIGTERM of ``actloss compare`` takes the workers with it; an exception or Ctrl-C in the
parent terminates them at once instead of waiting for the running cells. Local workers ignore
SIGINT: Ctrl-C in a terminal reaches the whole process group, and the parent alone decides
(the finished cells are already on disk).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from queue import SimpleQueue

from . import _cell, _dask
from ._cell import run_cell
from ._procs import Cells, costliest_first, failed, gather, init_worker, single_threaded_children


def _terminate(pool) -> None:
    """Stop a process pool now: cancel what has not started, kill what runs."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        if p.is_alive():
            p.terminate()
    for p in processes:
        p.join(5)


def prepare(scheduler: str | None = None) -> None:
    """Start what the executor will need, before the caller loads the data: a LocalCluster's
    fork server (see :func:`._dask.prestart`)."""
    if scheduler == "local":
        _dask.prestart()


def describe(jobs: int = 1, scheduler: str | None = None) -> str:
    if scheduler == "local":
        return (f"a local Dask cluster of {jobs or os.cpu_count()} worker processes and "
                f"this process")
    if scheduler:
        return f"the Dask cluster at {scheduler}"
    return "this process" if jobs <= 1 else f"{jobs} local processes"


def execute(cells, ds, jobs: int = 1, scheduler: str | None = None):
    """Run ``cells`` on ``ds`` and yield ``(cell, result)`` as each finishes.

    ``scheduler``: ``None`` (local), ``"local"`` (start a Dask ``LocalCluster`` of ``jobs``
    worker processes, all cores when ``jobs`` is 0) or a Dask scheduler address such as
    ``"tcp://10.0.0.5:8786"``. Without a scheduler, ``jobs > 1`` uses a process pool.
    Wherever more than one process trains, the cells start costliest first
    (:func:`._procs.costliest_first`), on a running cluster too.
    """
    cells = list(cells)
    if not cells:
        return
    if scheduler:
        yield from _dask.run(costliest_first(cells), ds, scheduler, jobs, run_cell)
    elif jobs > 1 and len(cells) > 1:
        yield from _processes(costliest_first(cells), ds, min(jobs, len(cells)))
    else:
        for cell in cells:
            yield cell, run_cell(cell, ds)


def _result(future) -> dict:
    try:
        return future.result()
    except Exception as exc:  # a worker that died (killed, out of memory)
        return failed(exc)


def _processes(cells, ds, jobs: int):
    """``jobs`` processes: this one and ``jobs - 1`` workers. A dispatcher thread hands each
    worker its next cell from the queue as soon as it finishes one (a pool that queues cells
    ahead committed them to a busy worker, and this process, done with its share, waited
    1.5 s of a 4.6 s grid for them); this process trains cells from the same queue meanwhile:
    it has actloss imported already, so it works while the workers start, and one process
    fewer is started."""
    # spawn: a clean interpreter per worker (no forked locks or threads), the same on every OS
    context = multiprocessing.get_context("spawn")
    workers = jobs - 1
    # The data travel with each cell, not in the initializer's arguments: those are written
    # to the new process before it runs, and a megabyte of them blocked the parent until that
    # worker had imported actloss (0.75 s per worker measured, one worker after the other);
    # a cell's copy goes through the pool's queue instead, in a few milliseconds.
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=init_worker,
                               initargs=(os.getpid(),))
    queue, results, stop = Cells(cells), SimpleQueue(), threading.Event()
    running = {}
    try:
        with single_threaded_children():  # the workers start during the first submits
            for _ in range(workers):
                cell = queue.take()
                if cell is not None:
                    running[pool.submit(_cell.run_cell, cell, ds)] = cell
        feeder = threading.Thread(target=_feed_pool, name="actloss-feed-pool", daemon=True,
                                  args=(pool, workers, ds, queue, running, results, stop))
        feeder.start()
        yield from gather(queue, ds, len(cells), results, run_cell)
    except BaseException:  # Ctrl-C, an error, or the caller stopped early: do not wait
        stop.set()
        _terminate(pool)
        raise
    # the idle workers exit while the caller writes the results (joined at interpreter exit)
    pool.shutdown(wait=False)


def _feed_pool(pool, workers: int, ds, queue: Cells, running: dict, results: SimpleQueue,
               stop) -> None:
    """The dispatcher thread of :func:`_processes`: one cell per worker at a time."""
    try:
        while running and not stop.is_set():
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                results.put((running.pop(future), _result(future)))
            while len(running) < workers and not stop.is_set():
                cell = queue.take()
                if cell is None:
                    break
                try:
                    running[pool.submit(_cell.run_cell, cell, ds)] = cell
                except (BrokenProcessPool, RuntimeError):  # a worker died: this process
                    queue.put_back(cell)                  # trains the cells left
                    break
    except BaseException as exc:  # to the main thread, which raises it
        results.put(exc)
