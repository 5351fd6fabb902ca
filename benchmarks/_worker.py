"""The child side of a benchmark: run one implementation once, print one JSON line.

Kept tiny on purpose (only ``sys``, ``json``, ``time``, ``resource`` at import): the parent times the
whole child process, so anything imported here is charged to every implementation alike.
"""

import json
import resource
import sys
import time

MARKER = "@@bench-result "


def _status_mib(key: str):
    """A ``/proc/self/status`` size (``VmHWM``, ``VmRSS``) in MiB, or None without /proc."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB.

    ``VmHWM`` of ``/proc/self/status`` where there is one: ``ru_maxrss`` survives ``exec`` on
    Linux, so a child started by a big parent (``subprocess`` uses vfork) would report the
    parent's size. Elsewhere ``ru_maxrss`` (KiB on Linux, bytes on macOS)."""
    peak = _status_mib("VmHWM")
    if peak is not None:
        return peak
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024.0


def rss_mib() -> float:
    """Current resident set size (``VmRSS``) in MiB, or NaN where /proc is missing."""
    rss = _status_mib("VmRSS")
    return float("nan") if rss is None else rss


def start_working_set() -> float:
    """Reset the peak RSS (Linux ``/proc/self/clear_refs``, value 5) and return the current RSS:
    after a phase, ``peak_rss_mib() - start`` is the memory that phase needed on top of what the
    process already held. NaN where the peak cannot be reset."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return float("nan")
    return rss_mib()


def timer():
    return time.perf_counter()


def main(workers: dict) -> None:
    """``script.py --worker IMPL --params JSON``: call ``workers[IMPL](params)`` and print its dict."""
    argv = sys.argv[1:]
    impl = argv[argv.index("--worker") + 1]
    params = json.loads(argv[argv.index("--params") + 1]) if "--params" in argv else {}
    result = workers[impl](params)
    result.setdefault("peak_rss_mib", peak_rss_mib())
    sys.stdout.write(MARKER + json.dumps(result) + "\n")
    sys.stdout.flush()


def is_worker() -> bool:
    return "--worker" in sys.argv[1:]
