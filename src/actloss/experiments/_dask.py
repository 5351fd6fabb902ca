"""Cells on a Dask cluster: a ``LocalCluster`` started for the command, or a running one.

``scheduler="local"``: this process never imports distributed. A fork server starts at once
and imports distributed and actloss (:data:`_PRELOAD`); a helper process forked from it (so
with nothing left to import) starts the LocalCluster, whose workers are forked from that same
server. This process trains cells all along; once the cluster is up, a relay thread hands it
cells too, one per worker at a time, and passes its results on. (When the cluster took every
cell left instead, this process idled through the last cells: 1.9 s of a 5.3 s digits grid on
2 cores, measured.) Measured on 2 busy cores
against the cluster in this process: no 0.6 s import of distributed here, competing for this
process's interpreter lock with the cells it trains, and no 0.25 s of tearing that import
down when the command exits (the helper leaves with ``os._exit``, as multiprocessing's
children do).

Everything dies with the command: the helper exits when this process has gone, its workers
with their nannies in the helper; Ctrl-C or an error here closes the cluster.
"""

from __future__ import annotations

import functools
import importlib.util
import multiprocessing
import os
import signal
import threading
import time
from contextlib import contextmanager
from queue import SimpleQueue

from . import _cell
from ._procs import Cells, die_with_parent, failed, gather, single_threaded_children

# What the helper and a cell need, imported once by the fork server that starts the helper
# and the LocalCluster's workers (distributed first, as Dask itself preloads it) instead of
# by each of them.
_PRELOAD = ("distributed", "threadpoolctl", "actloss.experiments._dask",
            "actloss.experiments._cell", "actloss.models", "actloss.layers",
            "actloss.callbacks", "actloss.optimizers", "actloss.diagnostics._callback",
            "actloss.experiments._forkserver_exit")

_MISSING = "--scheduler needs Dask distributed: pip install 'actloss[dask]'"


def _installed() -> bool:
    try:
        return importlib.util.find_spec("distributed") is not None
    except (ImportError, ValueError):
        return False


def prestart() -> None:
    """Start the fork server of a LocalCluster now (:func:`_start_fork_server`), before the
    data are loaded: its imports take a second, on a core that is idle meanwhile."""
    if _installed():
        _start_fork_server()


def run(cells, ds, scheduler: str, jobs: int, run_here):
    """Yield ``(cell, result)`` as cells finish on the cluster (or, while a LocalCluster
    starts, here with ``run_here``)."""
    if not _installed():
        raise ImportError(_MISSING)
    if scheduler == "local":
        yield from _local(cells, ds, jobs or os.cpu_count() or 1, run_here)
    else:
        yield from _remote(cells, ds, scheduler)


def _remote(cells, ds, scheduler: str):
    from distributed import Client, as_completed

    try:
        client = Client(scheduler, timeout="10s")
    except OSError as exc:
        raise ValueError(f"--scheduler: cannot reach the Dask scheduler at {scheduler!r} "
                         f"({exc})".splitlines()[0]) from None
    try:
        data = client.scatter(ds, broadcast=True, hash=False)
        futures = [client.submit(_cell.run_cell, cell, data, pure=False) for cell in cells]
        index = {future.key: i for i, future in enumerate(futures)}
        for future in as_completed(futures):
            try:
                result = future.result()
            except Exception as exc:  # a worker lost mid-cell
                result = failed(exc)
            yield cells[index[future.key]], result
    finally:
        client.close()


# ---------------------------------------------------------------------------- this process
def _start_fork_server():
    """The multiprocessing context whose processes fork from a server that has imported
    :data:`_PRELOAD` (started now, with one BLAS thread, so in everything it forks); spawn
    where the platform has no fork server."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    from multiprocessing import forkserver

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(_PRELOAD))
    with single_threaded_children():
        forkserver.ensure_running()
    return context


def _local(cells, ds, n_workers: int, run_here):
    context = _start_fork_server()
    here, there = context.Pipe()
    # not a daemon: a daemon may not start processes (the cluster's workers); the relay
    # closes it, and it exits by itself once the command has gone
    helper = context.Process(target=_host, args=(there, n_workers, os.getpid()),
                             name="actloss-dask-cluster")
    queue, results, stop = Cells(cells), SimpleQueue(), threading.Event()
    # not a daemon either: once every result is in, the relay closes the cluster (0.1 to 0.2
    # s) while the caller writes the results and the report, and the interpreter waits for
    # it at exit
    relay = threading.Thread(target=_relay, name="actloss-dask-relay",
                             args=(helper, here, there, ds, queue, results, n_workers, stop))
    relay.start()
    try:
        yield from gather(queue, ds, len(cells), results, run_here)
    except BaseException:  # an error or Ctrl-C: the cluster is closed before it propagates
        stop.set()
        relay.join(60)
        raise
    stop.set()


class _Stopped(Exception):
    pass


def _receive(conn, helper, stop):
    """The helper's next message; :class:`_Stopped` when this process stops waiting."""
    while not conn.poll(0.1):
        if stop.is_set():
            raise _Stopped
        if not helper.is_alive():
            raise RuntimeError(f"the Dask LocalCluster's process exited (code "
                               f"{helper.exitcode})")
    message = conn.recv()
    if isinstance(message, BaseException):
        raise message
    return message


def _relay(helper, conn, there, ds, queue: Cells, results: SimpleQueue, n_workers: int,
           stop) -> None:
    """This process's dispatcher thread: start the helper (which waits for the fork server's
    imports); once its cluster is up, send it the data and then cells from the queue, at most
    ``n_workers`` at a time, and pass on each result; close the cluster when ``stop`` is set."""
    started = False
    try:
        try:
            helper.start()
            started = True
        finally:
            there.close()  # the helper's end: its own copy is all it needs
        _receive(conn, helper, stop)  # the cluster is up
        sent: list = []

        def send_next() -> bool:
            cell = queue.take()
            if cell is None:
                return False
            if not sent:
                conn.send(ds)  # scattered to the workers once, with the first cell
            conn.send((len(sent), cell))
            sent.append(cell)
            return True

        running = sum(send_next() for _ in range(n_workers))
        while running:
            i, result = _receive(conn, helper, stop)
            results.put((sent[i], result))
            running += send_next() - 1
        stop.wait()
    except _Stopped:
        pass
    except BaseException as exc:  # to the main thread, which raises it
        results.put(exc)
    finally:
        if started:
            try:
                conn.send(None)  # close the cluster and exit
            except OSError:
                pass
            helper.join(30)
            if helper.is_alive():
                helper.kill()
                helper.join(5)


# ---------------------------------------------------------------------------- the helper
@contextmanager
def _dask_settings():
    """Dask's settings for the LocalCluster's worker processes.

    They fork from the fork server that has imported :data:`_PRELOAD` (with Dask's default,
    ``spawn``, each worker imported distributed and actloss itself: 1.5 s more measured on 2
    busy cores). Without Dask's ``MALLOC_TRIM_THRESHOLD_=65536``: glibc then gives memory
    back to the system at nearly every free of a layer's arrays, and a digits cell ran 1.4 to
    1.8x slower (0.7 -> 1.2 s measured). Without the workers' statistical profiler, which
    samples the cell's thread every 10 ms (5 to 8% of a cell's CPU measured) for a dashboard
    this cluster does not show. With the event-loop tick at 1 s instead of 20 ms, the memory
    monitor at 1 s instead of 100 ms, the system monitor at 5 s, and no work stealing (each
    worker is sent one cell at a time): an idle cluster of 2 workers used 14-15% of a core
    with Dask's defaults, 2.7% with these (psutil, CPU of the cluster's processes over 5 s)."""
    import dask

    settings = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
                "distributed.worker.profile.enabled": False,
                "distributed.admin.tick.interval": "1s",
                "distributed.worker.memory.monitor-interval": "1s",
                "distributed.admin.system-monitor.interval": "5s",
                "distributed.scheduler.work-stealing": False}
    forks = "forkserver" in multiprocessing.get_all_start_methods()
    if forks:
        settings["distributed.worker.multiprocessing-method"] = "forkserver"
    with dask.config.set(settings):
        if forks and not _reuse_fork_server():  # a server of its own, with this preload
            from distributed.utils import get_mp_context

            get_mp_context().set_forkserver_preload(list(_PRELOAD))  # after Dask's choice
        yield


def _reuse_fork_server() -> bool:
    """In the helper, a child of the fork server: fork the workers from that same server.
    A child inherits the server's address and the pipe that keeps it alive, but not its
    process id, so multiprocessing would start a second server (importing distributed and
    actloss again: 1 s). True when the server can be reused."""
    try:
        from multiprocessing import forkserver, resource_tracker

        server = forkserver._forkserver
        if server._forkserver_address is None or server._forkserver_alive_fd is None \
                or server._forkserver_pid is not None:
            return False
        server.ensure_running = resource_tracker.ensure_running
        return True
    except (ImportError, AttributeError):
        return False


def _exit_with(command_pid: int) -> None:
    """In the helper: exit when the command has gone. The helper's parent is the fork server
    (which outlives the command while its children hold its pipe), so ``PR_SET_PDEATHSIG``
    cannot tell; the server's own parent can: the command, until the command exits. The
    workers then exit too: each leaves at once when its nanny's process is gone (Dask)."""
    import psutil  # a dependency of Dask distributed

    server = os.getppid()
    if server == command_pid:  # started without a fork server (spawn)
        die_with_parent(command_pid)
        return

    def watch():
        while True:
            try:
                if psutil.Process(server).ppid() != command_pid:
                    break
            except psutil.Error:
                break
            time.sleep(0.2)
        os._exit(1)
    threading.Thread(target=watch, name="actloss-command-watch", daemon=True).start()


def _host(conn, n_workers: int, command_pid: int) -> None:
    """The helper process: start the LocalCluster, run each cell it is sent, send back each
    result as it finishes, and close the cluster when told (or when the command is gone)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the command decides
    _exit_with(command_pid)
    cluster = client = None
    try:
        from distributed import Client, LocalCluster

        with _dask_settings():
            cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address=":0")
        client = Client(cluster)
        conn.send("up")
        ds = conn.recv()  # the data, or None: close
        if ds is not None:
            data = client.scatter(ds, broadcast=True, hash=False)
            send, futures = threading.Lock(), []
            while (message := conn.recv()) is not None:  # (index, cell) ..., then None: close
                i, cell = message
                future = client.submit(_cell.run_cell, cell, data, pure=False)
                futures.append(future)  # held here: a dropped future is cancelled
                future.add_done_callback(functools.partial(_send_result, conn, send, i))
    except (EOFError, BrokenPipeError, ConnectionResetError):  # the command is gone
        pass
    except BaseException as exc:
        try:
            conn.send(exc)
        except Exception:  # not picklable
            conn.send(RuntimeError(f"{type(exc).__name__}: {exc}"))
    finally:
        try:
            if client is not None:
                client.close()
        finally:
            if cluster is not None:
                cluster.close()


def _send_result(conn, lock, i: int, future) -> None:
    try:
        result = future.result()
    except Exception as exc:  # a worker lost mid-cell
        result = failed(exc)
    with lock:
        try:
            conn.send((i, result))
        except OSError:  # the command is gone; the main thread closes the cluster
            pass
