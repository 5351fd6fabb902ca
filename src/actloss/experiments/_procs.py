"""What every executor shares: worker processes that die with their parent, the queue of
cells (costliest first) this process and a dispatcher thread take from, and the loop that
passes results on.
"""

from __future__ import annotations

import collections
import os
import signal
import sys
import threading
import time
import timeit
from contextlib import contextmanager
from queue import Empty, SimpleQueue

import numpy as np

from ._cell import clean

_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def failed(exc: BaseException) -> dict:
    """The result of a cell that could not run (its worker died, the cluster lost it)."""
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


def init_worker(parent_pid: int) -> None:
    """In a worker process: ignore Ctrl-C (the parent decides) and die with the parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent_pid)


@contextmanager
def single_threaded_children():
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


def activation_costs(cells) -> dict:
    """Seconds to evaluate each activation of ``cells`` and its vjp on a 64 x 128 float32
    block here (the best of 4 calls after a first): what sets a cell's cost apart from its
    neighbours' in one grid, whose cells share the network, epochs and batch size. tanh and
    sigmoid cost 5-6x relu (float64 working precision and a transcendental function), which
    makes their digits cells 1.8x as long."""
    from .. import activations

    x = np.linspace(-4.0, 4.0, 64 * 128, dtype=np.float32).reshape(64, 128)
    costs = {}
    for name in {cell["activation"] for cell in cells}:
        act = activations.get(name)
        try:
            costs[name] = min(timeit.repeat(lambda: act.vjp(x, act(x)), number=1, repeat=5)[1:])
        except Exception:  # a user's activation that fails here fails in its cells, at once
            costs[name] = 0.0
    return costs


def costliest_first(cells) -> list:
    """``cells`` sorted by :func:`activation_costs`, the costliest first (ties keep the grid's
    order): every process takes the next cell from the front, so the last cells to run are
    the cheapest and the processes finish close together (longest-processing-time-first list
    scheduling). In the grid's order, the one process still training at the end ran a tanh
    cell while the other idled: 0.6 s of a 4.6 s digits grid."""
    if len(cells) < 3:
        return list(cells)
    costs = activation_costs(cells)
    return sorted(cells, key=lambda cell: -costs[cell["activation"]])


class Cells:
    """The cells still to run, shared by this process and a dispatcher thread; each is taken
    exactly once, from the front."""

    def __init__(self, cells):
        self._cells = collections.deque(cells)
        self._lock = threading.Lock()

    def take(self):
        with self._lock:
            return self._cells.popleft() if self._cells else None

    def put_back(self, cell) -> None:
        with self._lock:
            self._cells.appendleft(cell)


def gather(queue: Cells, ds, total: int, results: SimpleQueue, run_cell):
    """Yield ``total`` (cell, result) pairs: this process trains cells from ``queue`` with
    ``run_cell``, and between cells passes on what the dispatcher thread put into
    ``results`` (a pair, or an exception, raised here)."""
    given = 0
    while given < total:
        try:
            message = results.get_nowait()
        except Empty:
            cell = queue.take()
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


