"""A hostile corpus, generated here (nothing checked in), that keeps the loaders closed.

Model files: crafted attacks (pickles that would create a marker file, traversal and absolute
member names, zip bombs, huge declared shapes and units, wrong dtypes, unknown names, missing
and mistyped keys, deep JSON, zip tricks), truncations at every k-th byte and seeded byte flips
of a real saved file. Each batch of loads runs in a subprocess under a memory limit
(``RLIMIT_AS``) and a timeout, with warnings as errors; every load must end in a clean
``ValueError``/``OSError`` or (harmless flips only) load a model identical to the original.
Never a marker file, a crash, a hang or a big allocation.

Saving: SIGKILL at random moments of ``model.save`` over an existing file: the target loads as
the old or the new model, and the next save leaves no temporary file.

``ACTLOSS_HOSTILE_LONG=1`` runs every truncation, more flips and more kills.
"""

from __future__ import annotations

import copy
import io
import json
import os
import pickle
import signal
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

LONG = os.environ.get("ACTLOSS_HOSTILE_LONG") == "1"
N_FLIPS = 2000 if LONG else 300
TRUNCATE_STEP = 1 if LONG else 37
N_KILLS = 200 if LONG else 30
MEMORY_LIMIT = 2 << 30
SRC = str(Path(__file__).resolve().parents[1] / "src")

# Runs in the subprocess: load each file, classify the outcome, print one JSON list.
RUNNER = r"""
import hashlib, json, resource, signal, sys, warnings
import numpy as np
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
warnings.simplefilter("error")
from actloss.models import load_model


def digest(m):
    h = hashlib.sha256()
    h.update(json.dumps(m.get_config(), sort_keys=True).encode())
    h.update(np.dtype(m.dtype).str.encode() + m._params.tobytes())
    h.update(json.dumps(m._rng.bit_generator.state, sort_keys=True).encode())
    if m.optimizer is not None:
        h.update(json.dumps([m.optimizer.get_config(), m.loss.get_config()],
                            sort_keys=True).encode())
        for k, v in sorted(m.optimizer.get_state().items()):
            h.update(k.encode() + np.asarray(v).tobytes())
    return h.hexdigest()


def alarm(*_):
    raise TimeoutError("load took more than 20 s")


signal.signal(signal.SIGALRM, alarm)
out = []
for path in json.load(sys.stdin):
    signal.alarm(20)
    try:
        out.append(["loaded", digest(load_model(path))])
    except (ValueError, OSError) as err:
        out.append(["rejected", type(err).__name__, str(err)])
    except BaseException as err:
        out.append(["crash", type(err).__name__, str(err)[:300]])
    finally:
        signal.alarm(0)
print(json.dumps(out))
"""


def load_in_subprocess(paths, timeout=300):
    """[(outcome, ...)] for each path, loaded in one child under ``MEMORY_LIMIT``."""
    env = {**os.environ, "PYTHONPATH": SRC, "OPENBLAS_NUM_THREADS": "1",
           "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", RUNNER, str(MEMORY_LIMIT)],
                          input=json.dumps([str(p) for p in paths]), capture_output=True,
                          text=True, timeout=timeout, env=env)
    assert proc.returncode == 0, f"the loader process died ({proc.returncode}): {proc.stderr}"
    return json.loads(proc.stdout)


# ------------------------------------------------------------------------- the good files
def _good_model():
    from actloss.layers import Dense, Dropout
    from actloss.models import Sequential
    from actloss.optimizers import Nadam, schedules
    from actloss.regularizers import l2
    from actloss.utils import set_random_seed
    set_random_seed(3)
    m = Sequential([Dense(6, activation="relu", input_shape=(4,), kernel_regularizer=l2(0.01)),
                    Dropout(0.2), Dense(3, activation="softmax")])
    m.compile(optimizer=Nadam(learning_rate=schedules.ExponentialDecay(0.01, 5, 0.9)),
              loss="categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    m.fit(rng.standard_normal((20, 4)), np.eye(3)[rng.integers(0, 3, 20)], epochs=1,
          batch_size=8, verbose=0)
    return m


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    folder = tmp_path_factory.mktemp("good")
    path = folder / "good.actloss"
    _good_model().save(path)
    return path


def members(path) -> dict:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def zip_bytes(entries, compression=zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return buf.getvalue()


def npy(a, allow_pickle=False) -> bytes:
    buf = io.BytesIO()
    np.save(buf, a, allow_pickle=allow_pickle)
    return buf.getvalue()


def npy_header_only(shape, descr="<f4") -> bytes:
    """An .npy header declaring ``shape`` followed by only 16 bytes of data."""
    header = repr({"descr": descr, "fortran_order": False, "shape": tuple(shape)}).encode()
    header += b" " * (63 - (len(header) + 10) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + b"\x00" * 16


class _Payload:
    """Unpickling this creates the marker file: proof that a loader ran code from a file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _with(base: dict, **changes) -> list:
    out = dict(base)
    for name, data in changes.items():
        if "__" in name:  # params__npy -> params.npy, optimizer__momentum__npy -> optimizer/...
            name = ".".join(name.replace("__", "/").rsplit("/", 1))
        if data is None:
            out.pop(name, None)
        else:
            out[name] = data
    return list(out.items())


def _header_variant(header, edit) -> bytes:
    h = copy.deepcopy(header)
    edit(h)
    return json.dumps(h).encode()


def _set(path, value):
    """An edit that sets ``h[a][b]...`` (path 'a.b.0.c'); value ``...`` deletes the key."""
    def edit(h):
        *head, last = path.split(".")
        for key in head:
            h = h[int(key)] if isinstance(h, list) else h[key]
        if value is ...:
            del h[int(last) if isinstance(h, list) else last]
        elif isinstance(h, list):
            h[int(last)] = value
        else:
            h[last] = value
    return edit


MISTYPED = [  # (key path, value): each must be rejected naming the key
    ("format_version", -1), ("format_version", "1"), ("format_version", 1.0),
    ("format_version", True), ("format_version", None), ("kind", "pickle"),
    ("dtype", "int32"), ("dtype", "complex64"), ("model", "Dense"), ("model", None),
    ("model.name", ["x"]), ("model.name", 7), ("model.layers", "Dense"), ("model.layers", []),
    ("model.layers.1", None), ("model.layers.0.class_name", "Lambda"),
    ("model.layers.0.class_name", "__import__"), ("model.layers.0.config", None),
    ("model.layers.0.config.units", 10**8), ("model.layers.0.config.units", "6"),
    ("model.layers.0.config.units", 6.5), ("model.layers.0.config.units", -1),
    ("model.layers.0.config.units", True), ("model.layers.0.config.units", 10**400),
    ("model.layers.0.config.input_shape", [0]), ("model.layers.0.config.input_shape", [10**9]),
    ("model.layers.0.config.input_shape", "4"), ("model.layers.0.config.activation", "os.system"),
    ("model.layers.0.config.activation", {"name": "relu", "cmd": "rm"}),
    ("model.layers.0.config.activation", 3), ("model.layers.0.config.use_bias", "yes"),
    ("model.layers.0.config.kernel_initializer", {"name": "eval"}),
    ("model.layers.0.config.kernel_initializer", {"name": "glorot_uniform", "scale": "1"}),
    ("model.layers.0.config.kernel_initializer", {"name": "glorot_uniform", "mode": "evil"}),
    ("model.layers.0.config.kernel_regularizer", {"name": "os.system", "l1": 0, "l2": 0}),
    ("model.layers.0.config.kernel_regularizer", {"name": "l1_l2", "l1": -1, "l2": 0}),
    ("model.layers.0.config.kernel_regularizer", "os.system"),
    ("model.layers.0.config.activity_regularizer", "l2"),
    ("model.layers.0.config.evil", 1), ("model.layers.0.config.name", {"x": 1}),
    ("model.layers.1.config.rate", 1.5), ("model.layers.1.config.seed", -5),
    ("model.layers.2.config.units", 4),
    ("compile", "adam"), ("compile.loss", "mse"), ("compile.loss.name", ...),
    ("compile.loss.name", "__import__"), ("compile.loss.name", None),
    ("compile.loss.from_logits", "no"), ("compile.loss.reduction", "evil"),
    ("compile.optimizer", "adam"), ("compile.optimizer", None), ("compile.optimizer.name", "subprocess"),
    ("compile.optimizer.learning_rate", {"name": "Evil"}),
    ("compile.optimizer.learning_rate", {"name": "ExponentialDecay"}),
    ("compile.optimizer.learning_rate", -1.0), ("compile.optimizer.learning_rate", "0.1"),
    ("compile.optimizer.beta_1", [0.9]), ("compile.optimizer.evil", 1),
    ("compile.metrics", "accuracy"), ("compile.metrics", ["exec"]), ("compile.metrics", [3]),
    ("optimizer_state", "iterations"), ("optimizer_state", ["iterations"]),
    ("optimizer_state", ["iterations", "momentum", "u_product", "velocity", "evil"]),
    ("optimizer_state", ["../../etc/passwd"]),
    ("rng", "PCG64"), ("rng.bit_generator", "MT19937"), ("rng.state.inc", -1),
    ("rng.state.state", "0"), ("rng.has_uint32", 5), ("rng.evil", 1),
    ("model", ...), ("dtype", ...), ("kind", ...), ("model.layers.0.config.units", ...),
    ("model.layers.0.class_name", ...), ("compile.loss", ...), ("compile.optimizer", ...),
    ("compile.metrics", ...), ("model.input_shape", [5]), ("model.input_shape", [0]),
    ("compile.optimizer.learning_rate.class_name", "Evil"),
    ("compile.optimizer.learning_rate.config.decay_steps", "5"),
    ("compile.optimizer.learning_rate.config.name", ["x"]),
    ("compile.optimizer.learning_rate.config.evil", 1),
]


def crafted(good: Path, folder: Path, marker: Path) -> dict:
    """{file name: bytes} of hand-made attacks on ``good``."""
    base = members(good)
    header = json.loads(base["model.json"])
    n = len(np.load(io.BytesIO(base["params.npy"])))
    files = {}

    def add(name, entries, compression=zipfile.ZIP_STORED):
        files[name] = zip_bytes(entries, compression)

    # pickles that would run code
    payload = npy(np.array([_Payload(str(marker))], dtype=object), allow_pickle=True)
    add("pickle_params", _with(base, params__npy=payload))
    add("pickle_momentum", _with(base, optimizer__momentum__npy=payload))
    add("pickle_iterations", _with(base, optimizer__iterations__npy=payload))
    add("pickle_json", _with(base, model__json=pickle.dumps(_Payload(str(marker)))))
    add("pickle_extra_member", _with(base, **{"model.pkl": pickle.dumps(_Payload(str(marker)))}))
    files["pickle_whole_file"] = pickle.dumps(_Payload(str(marker)))
    # traversal and absolute member names
    for i, name in enumerate(["../evil.txt", "/tmp/evil.txt", "optimizer/../../evil.npy",
                              "C:\\evil.txt", "a\\..\\..\\evil", "evil\x00.npy"]):
        entries = list(base.items()) + [(name.replace("\x00", ""), b"x")]
        data = zip_bytes(entries)
        if "\x00" in name:  # zipfile strips NUL on write: put it back in both headers
            data = data.replace(b"evil.npy", b"evil\x00npy")
        files[f"traversal_{i}"] = data
    # zip bombs: members that expand far beyond what is stored
    add("bomb_params", _with(base, params__npy=npy_header_only((4 << 20,)) + bytes(16 << 20)),
        zipfile.ZIP_DEFLATED)
    add("bomb_json", _with(base, model__json=b" " * (8 << 20)), zipfile.ZIP_DEFLATED)
    add("bomb_extra", list(base.items()) + [("junk.bin", bytes(16 << 20))], zipfile.ZIP_DEFLATED)
    # declared sizes the file does not hold
    files["declared_4gib"] = _patch_sizes(zip_bytes(list(base.items())), "params.npy",
                                          0xFFFFFF00)
    add("shape_1e12", _with(base, params__npy=npy_header_only((10**12,))))
    add("shape_huge_2d", _with(base, params__npy=npy_header_only((10**6, 10**6))))
    add("shape_plus_one", _with(base, params__npy=npy(np.zeros(n + 1, np.float32))))
    add("shape_column", _with(base, params__npy=npy(np.zeros((n, 1), np.float32))))
    add("shape_scalar", _with(base, params__npy=npy(np.float32(1))))
    add("shape_matches_units", _with(
        base, model__json=_header_variant(header, _set("model.layers.2.config.units", 10**6)),
        params__npy=npy_header_only((n - 21 + 6 * 10**6 + 10**6,))))
    add("units_2e7", _with(
        base, model__json=_header_variant(header, _set("model.layers.0.config.units", 2 * 10**7)),
        params__npy=npy_header_only((2 * 10**7 * 5 + (2 * 10**7 + 1) * 3,))))
    wide = copy.deepcopy(header)
    wide["model"]["layers"] = [{"class_name": "Dense", "config": {
        "name": f"d{i}", "units": 1 << 24, **({"input_shape": [1 << 24]} if i == 0 else {})}}
        for i in range(4)]
    add("many_huge_layers", _with(base, model__json=json.dumps(wide).encode()))
    add("iterations_2d", _with(base, optimizer__iterations__npy=npy(np.zeros((2, 2), np.int64))))
    add("iterations_float", _with(base, optimizer__iterations__npy=npy(np.float64(3))))
    add("iterations_negative", _with(base, optimizer__iterations__npy=npy(np.int64(-1))))
    add("u_product_nan", _with(base, optimizer__u_product__npy=npy(np.float64("nan"))))
    add("momentum_short", _with(base, optimizer__momentum__npy=npy(np.zeros(n - 1, np.float32))))
    # wrong dtypes
    for dtype in ("int64", "float16", "float64", "bool", "complex64", "complex128",
                  "datetime64[s]", "timedelta64[s]", "longdouble", "U1", "S4", "V4", "uint8"):
        add(f"dtype_{dtype}", _with(base, params__npy=npy(np.zeros(n, dtype))))
    add("dtype_structured", _with(base, params__npy=npy(np.zeros(n, [("a", "<f4")]))))
    add("dtype_subarray", _with(base, params__npy=npy(np.zeros(n, ("<f4", (1,))))))
    add("moment_complex", _with(base, optimizer__momentum__npy=npy(np.zeros(n, "complex64"))))
    # keys: missing, mistyped, unknown names
    for i, (key, value) in enumerate(MISTYPED):
        add(f"key_{i}_{key}", _with(base, model__json=_header_variant(header, _set(key, value))))
    # JSON edge cases
    deep = b"[" * 200_000 + b"]" * 200_000
    add("json_deep_200000", _with(base, model__json=deep))
    nested = json.dumps({**header, "model": {**header["model"], "name": "x"}}).encode()
    add("json_deep_inside", _with(base, model__json=nested.replace(
        b'"name": "x"', b'"name": ' + b"[" * 500 + b"]" * 500)))
    add("json_nan", _with(base, model__json=json.dumps(header).replace(
        '"units": 6', '"units": NaN').encode()))
    add("json_infinity", _with(base, model__json=json.dumps(header).replace(
        '"rate": 0.2', '"rate": -Infinity').encode()))
    add("json_1e999", _with(base, model__json=json.dumps(header).replace(
        '"rate": 0.2', '"rate": 1e999').encode()))
    add("json_duplicate_key", _with(base, model__json=json.dumps(header).replace(
        '"units": 6', '"units": 6, "units": 5').encode()))
    add("json_utf16", _with(base, model__json=json.dumps(header).encode("utf-16")))
    add("json_not_object", _with(base, model__json=b"[1, 2, 3]"))
    add("json_empty", _with(base, model__json=b""))
    add("json_garbage", _with(base, model__json=bytes(range(256))))
    add("json_17mib", _with(base, model__json=json.dumps({**header, "pad": "x" * (17 << 20)})
                            .encode()))
    add("json_big_int", _with(base, model__json=json.dumps(header).replace(
        '"units": 6', '"units": ' + "9" * 5000).encode()))
    add("no_model_json", _with(base, model__json=None))
    add("no_params", _with(base, params__npy=None))
    add("no_momentum", _with(base, optimizer__momentum__npy=None))
    add("format_version_99", _with(base, model__json=_header_variant(
        header, _set("format_version", 99))))
    add("format_keras", _with(base, model__json=_header_variant(header, _set("format", "keras"))))
    # zip tricks
    plain = zip_bytes(list(base.items()))
    files["compression_bzip2"] = _patch_method(plain, 12)
    files["compression_99_aes"] = _patch_method(plain, 99)
    files["encrypted_flag"] = _patch_flag(plain, 0x1)
    dup = list(base.items()) + [("params.npy", npy(np.ones(n, np.float32)))]
    with pytest.warns(UserWarning, match="Duplicate name"):
        files["duplicate_member"] = zip_bytes(dup)
    files["empty_file"] = b""
    files["not_a_zip"] = b"hello, world\n" * 10
    files["zip_header_only"] = plain[:30]
    files["central_directory_cut"] = plain[:-10]
    files["too_many_members"] = zip_bytes(list(base.items()) +
                                          [(f"x/{i}", b"") for i in range(5000)])
    files["empty_zip"] = zip_bytes([])
    return files


def _central_offsets(data: bytes):
    i = data.find(b"PK\x01\x02")
    while i != -1:
        yield i
        i = data.find(b"PK\x01\x02", i + 4)


def _local_offsets(data: bytes):
    i = data.find(b"PK\x03\x04")
    while i != -1:
        yield i
        i = data.find(b"PK\x03\x04", i + 4)


def _patch_method(data: bytes, method: int) -> bytes:
    raw = bytearray(data)
    for i in _local_offsets(data):
        raw[i + 8:i + 10] = struct.pack("<H", method)
    for i in _central_offsets(data):
        raw[i + 10:i + 12] = struct.pack("<H", method)
    return bytes(raw)


def _patch_flag(data: bytes, flag: int) -> bytes:
    raw = bytearray(data)
    for i in _local_offsets(data):
        raw[i + 6:i + 8] = struct.pack("<H", struct.unpack("<H", raw[i + 6:i + 8])[0] | flag)
    for i in _central_offsets(data):
        raw[i + 8:i + 10] = struct.pack("<H", struct.unpack("<H", raw[i + 8:i + 10])[0] | flag)
    return bytes(raw)


def _patch_sizes(data: bytes, name: str, size: int) -> bytes:
    """Declare ``size`` bytes (stored and uncompressed) for member ``name`` in both headers."""
    raw = bytearray(data)
    key = name.encode()
    for i in _local_offsets(data):
        if raw[i + 30:i + 30 + len(key)] == key:
            raw[i + 18:i + 26] = struct.pack("<II", size, size)
    for i in _central_offsets(data):
        if raw[i + 46:i + 46 + len(key)] == key:
            raw[i + 20:i + 28] = struct.pack("<II", size, size)
    return bytes(raw)


# ------------------------------------------------------------------------------ the tests
def _write_all(folder: Path, files: dict) -> list:
    paths = []
    for name, data in files.items():
        path = folder / f"{name}.actloss"
        path.write_bytes(data)
        paths.append(path)
    return paths


def _check(outcomes, paths, good_digest, marker, allow_identical=False):
    counts = {"rejected": 0, "identical": 0}
    for path, outcome in zip(paths, outcomes):
        kind = outcome[0]
        assert kind != "crash", f"{path.name}: {outcome}"
        if kind == "loaded":
            assert allow_identical, f"{path.name} loaded, it should have been rejected"
            assert outcome[1] == good_digest, f"{path.name} loaded as a different model"
            counts["identical"] += 1
        else:
            message = outcome[2]
            assert message and "\n" not in message, f"{path.name}: unclear message {message!r}"
            counts["rejected"] += 1
    assert not marker.exists(), "a file's pickle was executed"
    return counts


@pytest.fixture(scope="module")
def good_digest(good):
    (outcome,) = load_in_subprocess([good])
    assert outcome[0] == "loaded", outcome
    return outcome[1]


def test_crafted_files_are_rejected_by_key_and_member(good, good_digest, tmp_path):
    marker = tmp_path / "MARKER"
    files = crafted(good, tmp_path, marker)
    paths = _write_all(tmp_path, files) + [tmp_path / "missing.actloss", tmp_path]
    outcomes = load_in_subprocess(paths)
    counts = _check(outcomes, paths, good_digest, marker)
    assert counts["rejected"] == len(paths) >= 150
    said = {p.name: o for p, o in zip(paths, outcomes)}
    # the messages say where and what
    expect = {
        "key_18_model.layers.0.config.units.actloss": "model.layers[0].config.units: found int "
                                                      "100000000",
        "key_34_model.layers.0.config.kernel_regularizer.actloss": "unknown regularizer "
                                                                   "'os.system'",
        "key_0_format_version.actloss": "format_version: found int -1",
        "key_10_model.name.actloss": "model.name: found list ['x']",
        "dtype_complex64.actloss": "holds complex64 values; expected float32",
        "dtype_int64.actloss": "holds int64 values; expected float32",
        "dtype_float16.actloss": "holds float16 values; expected float32",
        "shape_1e12.actloss": "has shape (1000000000000,)",
        "bomb_params.actloss": "decompression bomb",
        "json_deep_200000.actloss": "nested deeper than 64 levels",
        "compression_bzip2.actloss": "compression method 12",
        "encrypted_flag.actloss": "encrypted",
        "traversal_0.actloss": "unsafe member name '../evil.txt'",
        "format_version_99.actloss": "Upgrade actloss",
        "iterations_2d.actloss": "optimizer/iterations.npy' has shape (2, 2)",
        "declared_4gib.actloss": "truncated",
        "missing.actloss": "No such model file",
    }
    for name, text in expect.items():
        assert text in said[name][2], (name, said[name])
    assert said[tmp_path.name][1] == "IsADirectoryError"


def _flips(data: bytes, count: int, seed: int):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        raw = bytearray(data)
        i = int(rng.integers(len(raw)))
        raw[i] ^= 1 << int(rng.integers(8))
        yield i, bytes(raw)


def test_truncations_and_byte_flips_never_load_a_wrong_model(good, good_digest, tmp_path):
    marker = tmp_path / "MARKER"
    data = good.read_bytes()
    truncated = {f"cut_{k}": data[:k] for k in range(0, len(data), TRUNCATE_STEP)}
    flipped = {f"flip_{j}_at_{i}": raw for j, (i, raw) in enumerate(_flips(data, N_FLIPS, 7))}
    cut_paths = _write_all(tmp_path, truncated)
    flip_paths = _write_all(tmp_path, flipped)
    outcomes = load_in_subprocess(cut_paths + flip_paths)
    cut = _check(outcomes[:len(cut_paths)], cut_paths, good_digest, marker)
    flip = _check(outcomes[len(cut_paths):], flip_paths, good_digest, marker,
                  allow_identical=True)
    assert cut["rejected"] == len(cut_paths)
    assert flip["rejected"] + flip["identical"] == len(flip_paths)
    print(f"\ntruncated: {len(cut_paths)} rejected; flipped: {flip['rejected']} rejected, "
          f"{flip['identical']} identical")


def _digest_in_process(path):
    from actloss.models import load_model
    m = load_model(path)
    return m._params.tobytes()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_sigkill_during_save_keeps_old_or_new_and_leaves_nothing(tmp_path, rng):
    from actloss.layers import Dense
    from actloss.models import Sequential
    models = [Sequential([Dense(64, input_shape=(200,)), Dense(3)]) for _ in range(2)]
    wanted = [m._params.tobytes() for m in models]
    folder = tmp_path / "target"
    folder.mkdir()
    target = folder / "m.actloss"
    models[0].save(target)
    check = tmp_path / "check"
    check.mkdir()
    left_before, kills = 0, 0
    for trial in range(N_KILLS):
        pid = os.fork()
        if pid == 0:  # the child saves over the target, alternating models, until killed
            try:
                i = 0
                while True:
                    models[i % 2].save(target)
                    i += 1
            finally:
                os._exit(0)
        time.sleep(float(rng.uniform(0.0, 0.03)))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        kills += 1
        left_before += sum(n.endswith(".tmp") for n in os.listdir(folder))
        copy_ = check / f"{trial}.actloss"
        copy_.write_bytes(target.read_bytes())
        assert _digest_in_process(copy_) in wanted, f"trial {trial}: target is neither model"
        models[trial % 2].save(target)
        assert os.listdir(folder) == ["m.actloss"], f"trial {trial}: {os.listdir(folder)}"
    print(f"\n{kills} kills, {left_before} temporary files left by killed saves, "
          f"0 after the next save")


# ------------------------------------------------------------------------------ the lab
def _descendants(pid: int) -> list:
    """Every process below ``pid`` (Linux /proc)."""
    children: dict = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _compare(out: Path, *extra, epochs="400"):
    return subprocess.Popen(
        [sys.executable, "-m", "actloss", "compare", "--dataset", "xor", "--activations",
         "relu,tanh,sigmoid,elu", "--hidden", "8", "--epochs", epochs, "--out", str(out),
         "--quiet", *extra],
        env={**os.environ, "PYTHONPATH": SRC}, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_for(condition, timeout, what):
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.1)


KILLS = [("SIGKILL", ()), ("SIGINT", ())]
if LONG:  # a Dask LocalCluster takes ~15 s to start and stop on 2 busy cores
    KILLS += [("SIGTERM", ())] + [
        pytest.param(name, ("--scheduler", "local"), marks=pytest.mark.needs("dask"))
        for name in ("SIGKILL", "SIGTERM", "SIGINT")]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("signame, scheduler", KILLS)
def test_killing_compare_kills_its_workers(signame, scheduler, tmp_path):
    dask = bool(scheduler)
    proc = _compare(tmp_path / "out", "--jobs", "2", *scheduler)
    seen: list = []
    try:
        def workers_busy():  # the workers (and the helper processes) up, cells running
            seen[:] = _descendants(proc.pid)
            # --jobs 2 without Dask: the command trains too, beside one worker and
            # multiprocessing's resource tracker; with Dask: two workers and the tracker
            return len(seen) >= (3 if dask else 2)
        _wait_for(workers_busy, 120, "the workers to start")
        if dask:  # until the workers have been told to die with their parent
            time.sleep(8)
        seen[:] = _descendants(proc.pid)
        os.kill(proc.pid, getattr(signal, signame))
        proc.wait(60)
        _wait_for(lambda: not any(map(_alive, seen)), 30,
                  f"the workers {seen} to die after {signame}")
    finally:
        for pid in [proc.pid, *seen]:  # never leave anything behind, even on failure
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        proc.wait()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs SIGKILL")
def test_killed_compare_resumes_without_losing_a_finished_cell(tmp_path):
    from actloss.experiments import compare
    out = tmp_path / "out"
    proc = _compare(out, epochs="100")
    try:
        _wait_for(lambda: len(list(out.glob("cells/*.json"))) >= 1, 120, "a finished cell")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    finished = {p.name: p.read_bytes() for p in out.glob("cells/*.json")}
    said = []
    again = compare("xor", activations=["relu", "tanh", "sigmoid", "elu"], hidden=[8],
                    epochs=100, out=out, progress=False, report=False, echo=said.append)
    assert again.skipped == len(finished) and any(
        f"4 cells ({len(finished)} already finished" in line for line in said)
    for name, data in finished.items():  # untouched: the rerun did not recompute them
        assert (out / "cells" / name).read_bytes() == data
    assert len(list(out.glob("cells/*.json"))) == 4
    assert all(r["status"] == "ok" for _, r in again.cells)
    assert not [p for p in out.rglob("*") if p.name.endswith(".tmp")]
