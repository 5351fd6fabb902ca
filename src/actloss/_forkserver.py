"""The fork server of the lab's Dask LocalCluster, started as soon as a command knows it will
need one (``actloss compare --scheduler local`` starts it right after parsing its arguments),
so that its imports (distributed and actloss: about 1 s) overlap the command's own instead of
following them. Nothing here imports NumPy or the rest of actloss: it runs before them.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import os
from contextlib import contextmanager

# What the cluster's helper process and a cell need, imported once by the fork server that
# starts them (distributed first, as Dask itself preloads it) instead of by each of them;
# last the module that lets the server leave at once (see its docstring).
PRELOAD = ("distributed", "threadpoolctl", "actloss.experiments._dask",
           "actloss.experiments._cell", "actloss.models", "actloss.layers",
           "actloss.callbacks", "actloss.optimizers", "actloss.diagnostics._callback",
           "actloss.experiments._forkserver_exit")

_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def dask_installed() -> bool:
    try:
        return importlib.util.find_spec("distributed") is not None
    except (ImportError, ValueError):
        return False


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


def start():
    """The multiprocessing context whose processes fork from a server that has imported
    :data:`PRELOAD` (started now if it is not running, with one BLAS thread, so in
    everything it forks); spawn where the platform has no fork server."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    from multiprocessing import forkserver

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(PRELOAD))
    with single_threaded_children():
        forkserver.ensure_running()
    return context


def prestart() -> None:
    """:func:`start` the server now when Dask distributed is installed: its imports then run
    on a core that is idle while the command imports and loads its data."""
    if dask_installed():
        start()
