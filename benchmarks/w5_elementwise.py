"""W5, elementwise: sigmoid, tanh, relu, leaky_relu, elu, gelu (exact) over 10^7 float32 values
and softmax over 10,000 x 1,000; forward and derivative, in ns per element.

- actloss: the public calls ``A.<name>(x)`` (forward) and ``A.<name>.grad(x)`` (derivative;
  softmax: ``A.softmax.vjp(x, g)``), each returning a new array.
- PyTorch (CPU, 2 threads): the functional op (``torch.sigmoid``, ``F.gelu`` ...) for the forward,
  and autograd's backward ``y.backward(g)`` of that op for the derivative (the forward is not
  timed there; autograd reuses what it saved).
- floor: ``np.copyto(out, x)``, reading and writing every element once.

Each figure is the median of ``--inner`` calls after one warm-up call, then the median over
``--reps`` fresh processes. Inputs: N(0, 3^2) float32, seed 0.

``python benchmarks/w5_elementwise.py [--quick] [--size N]``
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _entry  # noqa: E402
from _worker import timer  # noqa: E402

SCRIPT = os.path.abspath(__file__)
FUNCS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "softmax")
SOFTMAX_COLS = 1000


def _median_ns(fn, inner, n):
    import statistics
    fn()
    times = []
    for _ in range(inner):
        t0 = timer()
        fn()
        times.append(timer() - t0)
    return statistics.median(times) / n * 1e9


def inputs(n):
    import numpy as np
    rng = np.random.default_rng(0)
    x = rng.standard_normal(n, dtype=np.float32) * np.float32(3)
    g = rng.standard_normal(n, dtype=np.float32)
    rows = max(1, n // SOFTMAX_COLS)
    return x, g, x[:rows * SOFTMAX_COLS].reshape(rows, SOFTMAX_COLS), \
        g[:rows * SOFTMAX_COLS].reshape(rows, SOFTMAX_COLS)


def _actloss_ops(name, x, g, xs, gs):
    from actloss import activations as A
    act = A.get(name, approximate=False) if name == "gelu" else A.get(name)
    if name == "softmax":
        return (lambda: act(xs)), (lambda: act.vjp(xs, gs)), xs.size
    return (lambda: act(x)), (lambda: act.grad(x)), x.size


def _torch_ops(name, x, g, xs, gs):
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(2)
    fn = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
          "leaky_relu": lambda t: F.leaky_relu(t, 0.01), "elu": lambda t: F.elu(t, 1.0),
          "gelu": lambda t: F.gelu(t, approximate="none"),
          "softmax": lambda t: torch.softmax(t, dim=-1)}[name]
    xin, gin = (xs, gs) if name == "softmax" else (x, g)
    t, gt = torch.from_numpy(xin), torch.from_numpy(gin)
    leaf = t.clone().requires_grad_(True)
    y = fn(leaf)

    def backward():
        leaf.grad = None
        y.backward(gt, retain_graph=True)

    return (lambda: fn(t)), backward, xin.size


def worker(impl, params):
    import numpy as np
    n, inner = params["n"], params["inner"]
    x, g, xs, gs = inputs(n)
    result = {}
    if impl == "floor":
        out = np.empty_like(x)
        result["copyto"] = _median_ns(lambda: np.copyto(out, x), inner, n)
        return result
    ops = {"actloss": _actloss_ops, "torch": _torch_ops}[impl]
    for name in params.get("funcs", FUNCS):
        try:
            fwd, der, size = ops(name, x, g, xs, gs)
            result[f"{name}_fwd"] = _median_ns(fwd, inner, size)
            result[f"{name}_der"] = _median_ns(der, inner, size)
            if impl == "actloss":
                result[f"{name}_ulp"] = _max_ulp(name, x, g, xs, gs)
        except Exception as exc:  # a function missing from a catalog is reported, not fatal
            result[f"{name}_error"] = f"{type(exc).__name__}: {exc}"[:200]
    return result


def _max_ulp(name, x, g, xs, gs, m=10**6):
    """Max error, in float32 ULPs, of actloss's float32 forward and derivative against its own
    float64 path, on the first ``m`` elements: a check that speed did not cost accuracy."""
    import numpy as np
    fwd, der, _ = _actloss_ops(name, x[:m], g[:m], xs[:max(1, m // SOFTMAX_COLS)],
                               gs[:max(1, m // SOFTMAX_COLS)])
    fwd64, der64, _ = _actloss_ops(name, x[:m].astype(np.float64), g[:m].astype(np.float64),
                                   xs[:max(1, m // SOFTMAX_COLS)].astype(np.float64),
                                   gs[:max(1, m // SOFTMAX_COLS)].astype(np.float64))
    worst = []
    for f32, f64 in ((fwd, fwd64), (der, der64)):
        a, ref = np.asarray(f32(), dtype=np.float64), np.asarray(f64())
        scale = np.abs(ref)
        if name == "softmax":  # a vjp cancels: ULPs of each row's largest value
            scale = np.broadcast_to(scale.max(axis=-1, keepdims=True), ref.shape)
        ulp = np.spacing(scale.astype(np.float32)).astype(np.float64)
        worst.append(float(np.max(np.abs(a - ref) / ulp)))
    return worst


WORKERS = {impl: (lambda p, impl=impl: worker(impl, p)) for impl in ("actloss", "torch", "floor")}


def build_parser():
    import _common as C
    p = C.parser("W5: elementwise activations, ns per element vs PyTorch and np.copyto", 2)
    p.add_argument("--size", type=int, default=None, help="elements (10^7; 10^5 with --quick)")
    p.add_argument("--inner", type=int, default=None, help="timed calls per process (7; 3 with --quick)")
    return p


def run(args):
    import _common as C
    n = args.size or (10**5 if args.quick else 10**7)
    inner = args.inner or (3 if args.quick else 7)
    reps = C.reps_of(args, 2)
    impls = [i for i in C.impls_of(args) if i in ("actloss", "torch")]
    notes = [f"W5: {n} float32 elements (softmax {n // SOFTMAX_COLS} x {SOFTMAX_COLS}), "
             f"median of {inner} calls, {C.STAT} of {reps} process(es); torch 2 threads, "
             "NumPy single-threaded; derivative = grad(x) (softmax vjp) vs torch autograd backward"]
    results = C.measure_all(SCRIPT, impls, {"n": n, "inner": inner}, reps, notes, always=("floor",),
                            needs=("actloss.activations",))
    floor = results["floor"].get("copyto")
    ulps = {name: results.get("actloss", {}).get(f"{name}_ulp") for name in FUNCS}
    if any(ulps.values()):
        notes.append("W5 actloss max error vs its float64 path, in float32 ULPs (forward/derivative, "
                     "first 10^6 elements, softmax in ULPs of each row's largest value; "
                     "catalog target 2): " + ", ".join(
                         f"{k} {v[0]:.2g}/{v[1]:.2g}" for k, v in ulps.items() if v))
    rows = []
    for name in FUNCS:
        for part, label in (("fwd", "forward"), ("der", "derivative")):
            vals = C.values(results, f"{name}_{part}")
            for impl in ("actloss", "torch"):
                err = results.get(impl, {}).get(f"{name}_error")
                if err:
                    vals[impl] = "n/a"
                    if part == "fwd":
                        notes.append(f"W5 {C.LABELS[impl]} {name}: {err}")
            vals["floor"] = floor
            rows.append(C.row("W5", f"{name} {label}", "ns/el", vals, {"vs": "torch", "hi": 1.0}))
    return {"workload": "W5", "rows": rows, "notes": notes, "raw": results}


if __name__ == "__main__":
    _entry.script_main(WORKERS, build_parser, run)
