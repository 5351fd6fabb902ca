"""Bounded reading of zip archives (model files): no size, name or value in the file is trusted.

Every reader here checks what the archive declares against what it really holds and against a
documented cap *before* allocating, reads members in chunks, and turns any corruption into a
``ValueError`` whose message names the file and the member (an ``OSError`` only for the file
system itself: missing file, directory, permission). Names from the archive are looked up,
never used as paths.

Caps (one place, named, shared by every format reader of :mod:`actloss.models`):

==========================  =====================  ==========================================
``MAX_MEMBERS``             4096                   entries in one archive
``MAX_MEMBER_BYTES``        1 GiB + 64 KiB         one member, uncompressed (a float64 vector
                                                   of ``MAX_PARAMS`` values and its header)
``BOMB_FLOOR_BYTES``        1 MiB                  members above it may expand at most
``MAX_EXPANSION``           100x                   their stored size (Keras: 4 GiB floor, 100x)
``MAX_JSON_BYTES``          16 MiB                 a JSON member
``MAX_JSON_DEPTH``          64                     nesting of a JSON document
``MAX_NPY_HEADER_BYTES``    10000                  an ``.npy`` header (NumPy's own default)
``MAX_PARAMS``              134,217,728 (2**27)    weights of one model: 512 MiB in float32,
                                                   1 GiB in float64 per copy
==========================  =====================  ==========================================

Loading a model at ``MAX_PARAMS`` holds at most about seven such vectors (weights, gradients,
the array read, optimizer moments), 7 GiB in float64: well below a 24 GiB machine. A file
that declares more is rejected before anything of that size exists.

Other packages reach these helpers as ``actloss.models.archive`` (a stable name for this
module); :func:`write_atomic` and :func:`clean_stale` (from ``_atomic``) are exported with them
for the writers.

Only stored and deflated members are read (the two methods Keras and actloss write); encrypted
members, other compression methods, absolute or ``..`` names and duplicate names are rejected.

>>> import io, zipfile
>>> buf = io.BytesIO()
>>> with zipfile.ZipFile(buf, "w") as zf:
...     zf.writestr("a.json", '{"x": [1, 2]}')
>>> with zipfile.ZipFile(buf) as zf:
...     parse_json(read_member(zf, "a.json"))
{'x': [1, 2]}
>>> parse_json(b"[" * 100 + b"]" * 100)
Traceback (most recent call last):
...
ValueError: JSON is nested deeper than 64 levels
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import zipfile

import numpy as np

from ._atomic import clean_stale, write_atomic  # noqa: F401 - the writers' half, same place

MAX_MEMBERS = 4096
MAX_PARAMS = 1 << 27
MAX_MEMBER_BYTES = 8 * MAX_PARAMS + (1 << 16)
BOMB_FLOOR_BYTES = 1 << 20
MAX_EXPANSION = 100
MAX_JSON_BYTES = 16 << 20
MAX_JSON_DEPTH = 64
MAX_NPY_HEADER_BYTES = 10000
CHUNK_BYTES = 1 << 20
FLOAT_DTYPES = ("float16", "float32", "float64")
COMPRESSION = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}


def _label(zf) -> str:
    return repr(getattr(zf, "filename", None) or "archive")


def _fail(err: BaseException) -> bool:
    """True for the exceptions a corrupted archive may raise from zipfile / zlib / NumPy: they
    become a ValueError. Memory and recursion errors and interrupts pass through."""
    return isinstance(err, Exception) and not isinstance(err, (MemoryError, RecursionError))


@contextlib.contextmanager
def _reading(label: str, name: str):
    """Reading member ``name``: what a corrupted archive raises becomes one ValueError."""
    try:
        yield
    except ValueError:
        raise
    except BaseException as err:
        if not _fail(err):
            raise
        raise ValueError(f"{label} is corrupted: cannot read member {name!r} "
                         f"({type(err).__name__}: {err})".splitlines()[0]) from None


def check_name(name: str) -> None:
    """Reject member names that would be unsafe as a path (we never use them as one, but a
    tool that extracts the archive might): absolute, drive letters, ``..``, backslashes, NUL."""
    parts = name.replace("\\", "/").split("/")
    if (not name or name.startswith(("/", "\\")) or "\x00" in name or "\\" in name
            or (len(name) > 1 and name[1] == ":") or ".." in parts):
        raise ValueError(f"unsafe member name {name!r} (absolute, '..', backslash or NUL); "
                         f"refusing the archive")


def open_archive(path) -> zipfile.ZipFile:
    """Open ``path`` as a zip archive and check its directory: entry count, names, duplicates,
    encryption, compression method and every declared size (cap and expansion ratio).

    I/O problems (missing file, a directory, permission) raise ``OSError``; anything wrong
    inside raises ``ValueError`` naming the file.
    """
    path = os.fspath(path)
    with open(path, "rb"):  # surfaces FileNotFoundError / IsADirectoryError / PermissionError
        pass
    try:
        zf = zipfile.ZipFile(path)
    except BaseException as err:
        if not _fail(err):
            raise
        raise ValueError(f"{path!r} is not a readable zip archive ({type(err).__name__}: "
                         f"{err}); it may be truncated, corrupted or another program's file"
                         .splitlines()[0]) from None
    try:
        check_directory(zf)
    except BaseException:
        zf.close()
        raise
    return zf


def check_directory(zf: zipfile.ZipFile) -> None:
    """The checks of :func:`open_archive` on an open archive."""
    infos = zf.infolist()
    label = _label(zf)
    where = zf.fp.tell()
    zf._actloss_size = zf.fp.seek(0, os.SEEK_END)  # what the file really holds
    zf.fp.seek(where)
    if len(infos) > MAX_MEMBERS:
        raise ValueError(f"{label} has {len(infos)} members; at most {MAX_MEMBERS} are read")
    seen = set()
    for info in infos:
        name = info.filename
        try:
            check_name(name)
        except ValueError as err:
            raise ValueError(f"{label}: {err}") from None
        if name in seen:
            raise ValueError(f"{label}: member {name!r} appears twice; refusing an ambiguous "
                             f"archive")
        seen.add(name)
        check_info(zf, info)


def check_info(zf, info: zipfile.ZipInfo, max_bytes: int = MAX_MEMBER_BYTES) -> None:
    """Encryption, compression method, declared size against ``max_bytes`` and against
    ``MAX_EXPANSION`` times its stored size."""
    label, name = _label(zf), info.filename
    if info.flag_bits & 0x1:
        raise ValueError(f"{label}: member {name!r} is encrypted; model files are never "
                         f"encrypted, refusing it")
    if info.compress_type not in COMPRESSION:
        raise ValueError(f"{label}: member {name!r} uses zip compression method "
                         f"{info.compress_type}; only stored (0) and deflated (8) are read")
    size = getattr(zf, "_actloss_size", None)
    if size is not None and info.header_offset + info.compress_size > size:
        raise ValueError(f"{label} is truncated: member {name!r} declares {info.compress_size:,} "
                         f"stored bytes at offset {info.header_offset:,}, past the end of the "
                         f"file ({size:,} bytes)")
    if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
        raise ValueError(f"{label} is corrupted: stored member {name!r} declares "
                         f"{info.file_size:,} bytes but {info.compress_size:,} stored")
    if info.file_size > max_bytes:
        raise ValueError(f"{label}: member {name!r} declares {info.file_size:,} bytes; the "
                         f"limit is {max_bytes:,}")
    if info.file_size > BOMB_FLOOR_BYTES and \
            info.file_size > MAX_EXPANSION * max(info.compress_size, 1):
        raise ValueError(f"{label}: member {name!r} declares {info.file_size:,} bytes but only "
                         f"{info.compress_size:,} are stored; refusing a possible "
                         f"decompression bomb")


def member(zf, name: str, max_bytes: int = MAX_MEMBER_BYTES) -> zipfile.ZipInfo:
    """The checked ``ZipInfo`` of ``name``; a missing member is a ValueError."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise ValueError(f"{_label(zf)} is incomplete: member {name!r} is missing") from None
    check_info(zf, info, max_bytes)
    return info


def _read_into(stream, view: memoryview, label: str, name: str) -> None:
    done = 0
    while done < len(view):
        n = stream.readinto(view[done:done + CHUNK_BYTES])
        if not n:
            raise ValueError(f"{label}: member {name!r} ends after {done:,} of "
                             f"{len(view):,} bytes (truncated)")
        done += n


def read_member(zf, name: str, max_bytes: int = MAX_MEMBER_BYTES) -> bytes:
    """Member ``name`` as bytes, read in chunks of ``CHUNK_BYTES``, at most ``max_bytes``; its
    real length must equal its declared length (and its CRC must match)."""
    info = member(zf, name, max_bytes)
    label = _label(zf)
    buf = bytearray(info.file_size)
    with _reading(label, name), zf.open(info) as stream:
        _read_into(stream, memoryview(buf), label, name)
        if stream.read(1):  # zipfile stops at the declared size; belt and braces
            raise ValueError(f"{label}: member {name!r} holds more than its declared "
                             f"{info.file_size:,} bytes")
    return bytes(buf)


def _reject_constant(token):
    raise ValueError(f"JSON holds {token}, which is not a JSON number")


def _pairs(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"JSON object has the key {key!r} twice")
        out[key] = value
    return out


def json_depth(value) -> int:
    """Nesting depth of a parsed JSON value (iterative: no recursion on hostile input)."""
    depth, stack = 0, [(value, 1)]
    while stack:
        item, d = stack.pop()
        if isinstance(item, (dict, list)):
            depth = max(depth, d)
            stack.extend((v, d + 1) for v in (item.values() if isinstance(item, dict) else item))
    return depth


def parse_json(data: bytes, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH,
               what: str = "JSON"):
    """Parse UTF-8 JSON of at most ``max_bytes`` and ``max_depth`` levels. NaN/Infinity tokens
    and duplicate keys are rejected (both would let a file mean two things). ``ValueError``
    (prefixed with ``what``) for anything else."""
    if len(data) > max_bytes:
        raise ValueError(f"{what} has {len(data):,} bytes; the limit is {max_bytes:,}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"{what} is not UTF-8 text ({err})") from None
    try:
        value = json.loads(text, object_pairs_hook=_pairs, parse_constant=_reject_constant)
    except RecursionError:
        raise ValueError(f"{what} is nested deeper than {max_depth} levels") from None
    except ValueError as err:
        raise ValueError(f"{what} is not valid JSON ({err})".splitlines()[0]) from None
    if json_depth(value) > max_depth:
        raise ValueError(f"{what} is nested deeper than {max_depth} levels")
    return value


def read_json(zf, name: str, max_bytes: int = MAX_JSON_BYTES, max_depth: int = MAX_JSON_DEPTH):
    """Member ``name`` parsed with :func:`parse_json`."""
    return parse_json(read_member(zf, name, max_bytes), max_bytes, max_depth,
                      what=f"{_label(zf)}: member {name!r}")


def read_npy(zf, name: str, shape: tuple, dtypes=FLOAT_DTYPES) -> np.ndarray:
    """Member ``name``, an ``.npy`` array that must have exactly ``shape`` and a dtype named in
    ``dtypes`` (byte order free; returned in native order). Never unpickles: object,
    structured, complex, int, bool and datetime arrays are refused unless named. The header's
    declared size must equal the member's real size before the array is allocated."""
    label = _label(zf)
    shape = tuple(int(s) for s in shape)
    n = math.prod(shape)
    if n > MAX_PARAMS:
        raise ValueError(f"{label}: member {name!r} would hold {n:,} values; the limit is "
                         f"{MAX_PARAMS:,}")
    info = member(zf, name)
    with _reading(label, name), zf.open(info) as stream:
        try:
            major, minor = np.lib.format.read_magic(stream)
            read_header = (np.lib.format.read_array_header_1_0 if major == 1
                           else np.lib.format.read_array_header_2_0)
            found, fortran, dtype = read_header(stream, max_header_size=MAX_NPY_HEADER_BYTES)
        except BaseException as err:
            if not _fail(err):
                raise
            raise ValueError(f"{label} is corrupted: member {name!r} is not a valid .npy array "
                             f"({type(err).__name__}: {err})".splitlines()[0]) from None
        if dtype.names is not None or dtype.subdtype is not None or dtype.hasobject \
                or dtype.name not in dtypes:
            raise ValueError(f"{label}: member {name!r} holds {dtype.name or dtype.str} "
                             f"values; expected {' or '.join(dtypes)}")
        if tuple(found) != shape:
            raise ValueError(f"{label}: member {name!r} has shape {tuple(found)}; the model "
                             f"needs exactly {shape}")
        offset = stream.tell()
        declared = n * dtype.itemsize
        if info.file_size - offset != declared:
            raise ValueError(f"{label}: member {name!r} declares {declared:,} bytes of data "
                             f"but holds {info.file_size - offset:,}")
        out = np.empty(n, dtype)
        _read_into(stream, memoryview(out.view(np.uint8)), label, name)
    if not dtype.isnative:
        out = out.astype(dtype.newbyteorder("="))
    return out.reshape(shape, order="F" if fortran else "C")


__all__ = ["MAX_MEMBERS", "MAX_MEMBER_BYTES", "BOMB_FLOOR_BYTES", "MAX_EXPANSION",
           "MAX_JSON_BYTES", "MAX_JSON_DEPTH", "MAX_NPY_HEADER_BYTES", "MAX_PARAMS",
           "CHUNK_BYTES", "FLOAT_DTYPES", "COMPRESSION", "check_name", "open_archive",
           "check_directory", "check_info", "member", "read_member", "parse_json", "read_json",
           "json_depth", "read_npy", "write_atomic", "clean_stale"]
