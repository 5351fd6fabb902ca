"""Shared numerics: input conversion, the precision policy, blockwise and threaded evaluation.

Precision policy (one for the whole catalog; measured in ``tests/reference.py``)
--------------------------------------------------------------------------------
A function whose result is at most one rounding of exact operations (relu, leaky_relu, clip,
step ...: definitions marked ``exact``) is evaluated in the input's own dtype. Every other
function is evaluated in a *working precision* wider than its result and rounded once at the
end (:func:`work_dtype`): float16 and float32 inputs in float64 (29+ spare bits: the result is
the correctly rounded one except next to a rounding boundary, within 1 ULP), float64 inputs in
``np.longdouble`` (x87 extended, 64-bit mantissa, on x86-64 Linux: 11 spare bits, within 1-2
ULP). Why: a float32 ``exp``/``expm1``/``log`` in NumPy is off by up to 2.4/2.6/3.3 ULP (its
SIMD loops), and float64 formulas such as 1 / (1 + e^{-x}) or e / (1 + e)^2 lose 2-3 ULP in
their roundings; a wider working precision removes both without a per-function correction
term. Long double also has a wider exponent range, so g * f'(x) is exact where f'(x) alone
would overflow (``exponential.vjp([710.0], [-0.1])`` is finite). Where long double is no wider
than float64 (Windows, macOS on arm64) float64 results may be off by a few ULP.
Integers and bools are computed as float64. Overflow to inf, underflow to 0 and the NaN of an
undefined product are results, never warnings.

Evaluation: :func:`blockwise` casts blocks of ``BLOCK`` elements to the working precision (the
wide scratch stays in cache and on glibc's heap; no full-size wide copy), and arrays of a
million elements or more are split over two threads (NumPy releases the GIL). The optional
Numba loops for large float32 arrays (:mod:`actloss._fast32`) compute in float64 too: the
same policy, compiled.

``scipy.special`` costs tens of milliseconds to import, so it is reached through
:func:`special` on first use, which keeps ``import actloss`` lean.
"""

import os
from functools import cache

import numpy as np

FLOAT_TYPES = (np.float16, np.float32, np.float64)
# Elements per block: 64 KiB of float64 scratch per temporary. Blocks of 32768 (256 KiB) were
# 2-4x slower per element on arrays of 32k elements and more (tanh.vjp on 256 x 128 float32:
# 64-72 ns against 11-19 ns per element, measured): glibc gave the freed scratch back to the
# system after each call and the next call faulted it in again.
BLOCK = 8192
PARALLEL_MIN = 1 << 20  # elements: below this, one thread (a thread hand-off costs ~50 us)


@cache
def special():
    """The ``scipy.special`` module, imported on first call."""
    import scipy.special

    return scipy.special


def as_float_array(x, name: str = "x") -> np.ndarray:
    """``np.asarray(x)`` with floats kept as they are and integers/bools promoted to float64."""
    arr = np.asarray(x)
    if arr.dtype.type in FLOAT_TYPES:
        return arr
    if arr.dtype.kind in "biu":
        return arr.astype(np.float64)
    if arr.dtype.kind == "f":  # longdouble and other exotic floats
        raise TypeError(f"{name}: dtype {arr.dtype} is not supported; "
                        f"expected float16, float32, float64, integer or bool")
    raise TypeError(f"{name}: expected a real numeric array, received dtype {arr.dtype} "
                    f"({type(x).__name__})")


def work_dtype(dtype) -> type:
    """The working precision of the policy above: float64 for float16/float32, long double
    for float64."""
    return np.longdouble if np.dtype(dtype) == np.float64 else np.float64


def work_kind(dtype) -> str:
    """The executor name (see ``actloss.activations._math``) of :func:`work_dtype`."""
    return "longdouble" if np.dtype(dtype) == np.float64 else "float64"


# ---------------------------------------------------------------- threads
def _threads() -> int:
    """Threads for one large elementwise call: ACTLOSS_NUM_THREADS, else min(2, cores) --
    as ``torch.set_num_threads(2)`` on the 2-core CI machine."""
    try:
        wanted = int(os.environ.get("ACTLOSS_NUM_THREADS", "2"))
    except ValueError:
        wanted = 1
    return max(1, min(wanted, _cores()))


@cache
def _cores() -> int:
    """os.cpu_count(), once: it reads /sys on every call (45 us, 1.5% of a W4 batch)."""
    return os.cpu_count() or 1


@cache
def _pool(workers: int):
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="actloss")


if hasattr(os, "register_at_fork"):  # a forked child must not reuse the parent's dead threads
    os.register_at_fork(after_in_child=_pool.cache_clear)


def run_parts(fn, n: int, unit: int = BLOCK, weight: int = 1) -> None:
    """``fn(start, stop)`` over [0, n), split into contiguous parts (multiples of ``unit``)
    run by :func:`_threads` threads when n * weight >= PARALLEL_MIN elements; each part must
    set its own errstate (NumPy's error state does not cross threads)."""
    parts = _threads() if n * weight >= PARALLEL_MIN else 1
    size = -(-max(n, 1) // parts)
    size = -(-size // unit) * unit
    bounds = [(a, min(a + size, n)) for a in range(0, max(n, 1), size)]
    if len(bounds) == 1:
        fn(0, n)
        return
    futures = [_pool(parts - 1).submit(fn, a, b) for a, b in bounds[1:]]
    fn(*bounds[0])
    for f in futures:
        f.result()


# ---------------------------------------------------------------- blockwise evaluation
def flat(a: np.ndarray) -> np.ndarray:
    """A 1-D view of ``a`` (a contiguous copy if it has no such view)."""
    return a.reshape(-1) if a.flags.c_contiguous else np.ascontiguousarray(a).reshape(-1)


def into(out, shape, dtype):
    """(``out`` or a new array, a flat view to write to); the caller finishes with
    :func:`settle`."""
    if out is None:
        out = np.empty(shape, dtype)
    return out, (out.reshape(-1) if out.flags.c_contiguous else np.empty(out.size, out.dtype))


def settle(out, flat_out):
    if not out.flags.c_contiguous:
        np.copyto(out, flat_out.reshape(out.shape))
    return out


def blockwise(kernel, x: np.ndarray, *more: np.ndarray, out: np.ndarray | None = None,
              work=None) -> np.ndarray:
    """``kernel(xb, *moreb)`` over blocks of ``x`` (and of the arrays ``more`` of x's shape),
    each block cast to ``work`` (default :func:`work_dtype` of x), the result rounded once into
    ``out`` (which may be ``x``). The kernel must not write into its arguments."""
    work = work or work_dtype(x.dtype)
    out, flat_out = into(out, x.shape, x.dtype)
    xs = [flat(a) for a in (x, *more)]

    def part(lo, hi):
        with np.errstate(all="ignore"):
            for start in range(lo, max(hi, lo + 1), BLOCK):
                stop = min(start + BLOCK, hi)
                blocks = [a[start:stop].astype(work, copy=False) for a in xs]
                np.copyto(flat_out[start:stop], kernel(*blocks), casting="unsafe")

    run_parts(part, x.size)
    return settle(out, flat_out)
