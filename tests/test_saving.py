"""One-file saving: identical predictions and continued training, atomicity, bad files."""

import io
import json
import os
import zipfile

import numpy as np
import pytest

from actloss.layers import Dense, Dropout
from actloss.models import Sequential, load_model
from actloss.optimizers import Nadam, schedules
from actloss.regularizers import l2
from actloss.utils import set_random_seed


def _rewrite(src_path, dst_path, name, change):
    """Copy a model file, passing member ``name``'s bytes through ``change``."""
    with zipfile.ZipFile(src_path) as src, zipfile.ZipFile(dst_path, "w") as dst:
        for member in src.namelist():
            payload = src.read(member)
            dst.writestr(member, change(payload) if member == name else payload)


def _model():
    set_random_seed(21)
    m = Sequential([Dense(8, activation="relu", input_shape=(4,), kernel_regularizer=l2(0.01)),
                    Dropout(0.2), Dense(3, activation="softmax")])
    m.compile(optimizer=Nadam(learning_rate=schedules.ExponentialDecay(0.01, 5, 0.9)),
              loss="categorical_crossentropy", metrics=["accuracy"])
    return m


@pytest.fixture
def data(rng):
    x = rng.standard_normal((60, 4)).astype(np.float32)
    y = np.eye(3)[rng.integers(0, 3, 60)]
    return x, y


def test_save_load_identical_predictions_and_continued_training(tmp_path, data):
    x, y = data
    a = _model()
    a.fit(x, y, epochs=2, batch_size=16, verbose=0)
    path = tmp_path / "model.actloss"
    a.save(path)
    b = load_model(path)
    np.testing.assert_array_equal(a.predict(x), b.predict(x))
    assert [type(lay).__name__ for lay in b.layers] == ["Dense", "Dropout", "Dense"]
    assert b.optimizer.iterations == a.optimizer.iterations
    ha = a.fit(x, y, epochs=2, batch_size=16, verbose=0)
    hb = b.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert ha.history == hb.history
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)


def test_file_is_a_zip_of_json_and_npy_without_pickle(tmp_path, data):
    m = _model()
    m.fit(*data, epochs=1, verbose=0)
    path = tmp_path / "m.actloss"
    m.save(path)
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        header = json.loads(zf.read("model.json"))
    assert "params.npy" in names and "optimizer/momentum.npy" in names
    assert header["format"] == "actloss-model" and header["format_version"] == 1
    assert [f for f in os.listdir(tmp_path)] == ["m.actloss"]  # no temporary file left


def test_failed_save_leaves_the_old_file_intact(tmp_path, data, monkeypatch):
    m = _model()
    path = tmp_path / "m.actloss"
    m.save(path)
    before = path.read_bytes()
    from actloss.models import _saving

    def boom(a):
        raise OSError("disk full")
    monkeypatch.setattr(_saving, "_npy_bytes", boom)
    with pytest.raises(OSError, match="disk full"):
        m.save(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.actloss"]


def test_bad_files_are_rejected_clearly(tmp_path, data):
    m = _model()
    good = tmp_path / "good.actloss"
    m.save(good)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ValueError, match="not a zip archive"):
        load_model(text)
    foreign = tmp_path / "foreign.zip"
    with zipfile.ZipFile(foreign, "w") as zf:
        zf.writestr("model.json", json.dumps({"format": "keras"}))
    with pytest.raises(ValueError, match="not an actloss model file"):
        load_model(foreign)
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("data.csv", "1,2")
    with pytest.raises(ValueError, match="no model.json"):
        load_model(other)
    newer = tmp_path / "newer.actloss"
    _rewrite(good, newer, "model.json",
             lambda b: json.dumps({**json.loads(b), "format_version": 99}).encode())
    with pytest.raises(ValueError, match="format_version 99"):
        load_model(newer)
    corrupt = tmp_path / "corrupt.actloss"
    raw = bytearray(good.read_bytes())
    i = raw.find(b"\x93NUMPY")
    raw[i + 200:i + 260] = b"\x00" * 60
    corrupt.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="corrupted"):
        load_model(corrupt)
    pickled = tmp_path / "pickled.actloss"
    buf = io.BytesIO()
    np.save(buf, np.array([object()], dtype=object), allow_pickle=True)
    _rewrite(good, pickled, "params.npy", lambda b: buf.getvalue())
    with pytest.raises(ValueError, match="holds object values; expected float32"):
        load_model(pickled)
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "missing.actloss")


def test_weights_only_and_uncompiled(tmp_path, data):
    m = _model()
    path = tmp_path / "w.actloss"
    m.save_weights(path)
    n = _model()
    n.set_weights([w * 0 for w in n.get_weights()])
    n.load_weights(path)
    np.testing.assert_array_equal(n.predict(data[0]), m.predict(data[0]))
    plain = Sequential([Dense(2, input_shape=(3,))])
    plain.save(tmp_path / "plain.actloss")
    loaded = load_model(tmp_path / "plain.actloss")
    assert loaded.optimizer is None
    with pytest.raises(RuntimeError, match="compile"):
        loaded.fit(np.ones((2, 3)), np.ones((2, 2)))


def test_only_dead_writers_temporary_files_are_removed(tmp_path):
    import fcntl
    m = Sequential([Dense(2, input_shape=(3,))])
    dead = tmp_path / ".actloss-abcdefgh.tmp"      # a killed save's file: no lock held
    live = tmp_path / ".actloss-ijklmnop.tmp"      # a save in progress holds its lock
    foreign = [tmp_path / "notes.tmp", tmp_path / ".actloss-Not_Ours.tmp",
               tmp_path / ".actloss-abcdefghi.tmp"]
    for p in [dead, live, *foreign]:
        p.write_bytes(b"partial")
    with open(live, "rb") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        m.save(tmp_path / "m.actloss")
        assert not dead.exists() and live.exists()
    assert all(p.exists() for p in foreign)
    dead.write_bytes(b"partial")
    load_model(tmp_path / "m.actloss")  # a load cleans too, now that the writer is gone
    assert not dead.exists() and not live.exists()
    assert all(p.exists() for p in foreign)


def test_load_weights_checks_shapes_and_converts_floats(tmp_path, rng):
    import actloss
    old = actloss.floatx()
    actloss.set_floatx("float64")
    try:
        src = Sequential([Dense(4, input_shape=(3,)), Dense(2)])
    finally:
        actloss.set_floatx(old)
    path = tmp_path / "w.actloss"
    src.save_weights(path)
    same = Sequential([Dense(4, input_shape=(3,)), Dense(2)])
    same.load_weights(path)
    for a, b in zip(same.get_weights(), src.get_weights()):
        assert a.dtype == np.float32
        np.testing.assert_array_equal(a, b.astype(np.float32))
    transposed = Sequential([Dense(3, input_shape=(4,)), Dense(2)])  # same count, other shapes
    with pytest.raises(ValueError, match=r"holds weights of shapes \[\(3, 4\), \(4,\), \(4, 2\)"):
        transposed.load_weights(path)


def test_a_folder_or_a_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a folder"):
        load_model(tmp_path)
    with pytest.raises(FileNotFoundError, match="No such model file"):
        load_model(tmp_path / "nope.actloss")
