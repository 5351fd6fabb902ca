"""actloss.datasets: every name, CSV files and their errors, splits and standardization."""

import numpy as np
import pytest

from actloss import datasets

EXPECTED = {"digits": ("multiclass", 64, 10), "breast_cancer": ("binary", 30, 2),
            "iris": ("multiclass", 4, 3), "wine": ("multiclass", 13, 3),
            "diabetes": ("regression", 10, 0), "moons": ("binary", 2, 2),
            "circles": ("binary", 2, 2), "spirals": ("binary", 2, 2), "xor": ("binary", 2, 2)}


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.needs("data")
def test_each_named_dataset(name):
    ds = datasets.load(name)
    task, d, k = EXPECTED[name]
    assert (ds.task, ds.n_features, ds.n_classes) == (task, d, k)
    n = len(ds.x_train) + len(ds.x_val) + len(ds.x_test)
    assert len(ds.x_test) == round(0.2 * n) and len(ds.x_val) == round(0.2 * n)
    np.testing.assert_allclose(ds.x_train.mean(axis=0), 0, atol=1e-9)
    assert np.all(np.isfinite(ds.x_train)) and ds.x_train.dtype == np.float64
    if task == "regression":
        assert ds.y_train.dtype == np.float64 and abs(ds.y_train.mean()) < 1e-9
    else:
        assert ds.y_train.dtype == np.int64 and set(np.unique(ds.y_train)) <= set(range(k))
    assert name in ds.describe()


def test_split_is_fixed_by_the_seed():
    a, b, c = datasets.load("moons"), datasets.load("moons"), datasets.load("moons", seed=1)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert not np.array_equal(a.x_train, c.x_train)
    assert a.fingerprint == b.fingerprint != c.fingerprint


def test_unknown_name_suggests():
    with pytest.raises(ValueError, match="Did you mean 'digits'"):
        datasets.load("digit")


def _write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_csv_string_labels_are_encoded(tmp_path):
    rows = "\n".join(f"{i},{i % 3 * 1.5},{['cat', 'dog'][i % 2]}" for i in range(20))
    ds = datasets.load(_write(tmp_path, "a,b,animal\n" + rows), target="animal")
    assert ds.task == "binary" and ds.classes == ["cat", "dog"]
    assert ds.feature_names == ["a", "b"] and ds.name == "data.csv"


def test_csv_numeric_targets(tmp_path):
    classes = "\n".join(f"{i},{i % 4}" for i in range(40))
    assert datasets.load(_write(tmp_path, "x,y\n" + classes), target="y").task == "multiclass"
    values = "\n".join(f"{i},{i * 0.37}" for i in range(40))
    ds = datasets.load(_write(tmp_path, "x,y\n" + values, "r.csv"), target="y")
    assert ds.task == "regression" and ds.classes is None


@pytest.mark.parametrize("text, target, message", [
    ("a,b\n1,2\n3,4\n5,6\n", "c", r"column 'c' is not in data.csv; its columns are: a, b"),
    ("a,b,y\n1,x,0\n3,4,1\n5,6,0\n", "y", r"feature column 'b' is not numeric \(line 2: 'x'\)"),
    ("a,y\n1,0\n,1\n5,0\n", "y", r"1 empty or NaN cells in 1 rows \(line 3 column 'a'\)"),
    ("a,y,a\n1,0,2\n2,1,3\n", "y", r"duplicate column names \['a'\]"),
    ("a,y\n1,0\n2,1\n", "y", r"2 rows are too few: they split into 2/0/0"),
    ("a,y\n1,0\n2,0\n5,0\n", "y", "single class"),
    ("a,y\n1,0\n2\n", "y", "line 3: 1 fields"),
])
def test_csv_errors(tmp_path, text, target, message):
    with pytest.raises(ValueError, match=message):
        datasets.load(_write(tmp_path, text), target=target)


def test_csv_needs_target_and_existing_file(tmp_path):
    with pytest.raises(ValueError, match="--target COLUMN is required"):
        datasets.load(_write(tmp_path, "a,y\n1,0\n"))
    with pytest.raises(ValueError, match="no such file"):
        datasets.load(str(tmp_path / "missing.csv"), target="y")
    with pytest.raises(ValueError, match="only for CSV"):
        datasets.load("iris", target="y")


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_csv_delimiter_is_sniffed(tmp_path, sep):
    rows = "\n".join(sep.join([f"{i}", f"{i * 0.5:.1f}", "ab"[i % 2]]) for i in range(20))
    ds = datasets.load(_write(tmp_path, sep.join(["u", "v", "label"]) + "\n" + rows),
                       target="label")
    assert ds.feature_names == ["u", "v"] and ds.classes == ["a", "b"]


def test_empty_and_nan_cells_are_counted_located_and_droppable(tmp_path):
    lines = [f"{i},{i % 3},{'ab'[i % 2]}" for i in range(30)]
    lines[3] = "3,,a"            # file line 5
    lines[7] = "7,nan,"          # file line 9: two missing cells
    lines[12] = "12,1,NaN"       # file line 14: a NaN target
    path = _write(tmp_path, "u,v,label\n" + "\n".join(lines))
    with pytest.raises(ValueError) as err:
        datasets.load(path, target="label")
    message = str(err.value)
    assert message.startswith("data.csv: 4 empty or NaN cells in 3 rows (line 5 column 'v', "
                              "line 9 column 'v', line 9 column 'label', line 14 column "
                              "'label'); fill them, or pass --drop-missing")
    ds = datasets.load(path, target="label", drop_missing=True)
    assert len(ds.x_train) + len(ds.x_val) + len(ds.x_test) == 27 and ds.task == "binary"
    assert ds.notes == ["data.csv: dropped 3 rows with empty or NaN cells (--drop-missing); "
                        "27 rows remain"]
    clean = _write(tmp_path, "u,v,label\n" + "\n".join(
        line for i, line in enumerate(lines) if i not in (3, 7, 12)), "clean.csv")
    np.testing.assert_array_equal(datasets.load(clean, target="label").x_train, ds.x_train)


def test_binary_utf16_and_folder_are_named(tmp_path):
    text = "a,y\n" + "\n".join(f"{i},{i % 2}" for i in range(20))
    for name, data in (("bom.csv", text.encode("utf-16")), ("le.csv", text.encode("utf-16-le")),
                       ("be.csv", text.encode("utf-16-be"))):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ValueError, match=f"{name} is UTF-16 text; save it as UTF-8"):
            datasets.load(str(tmp_path / name), target="y")
    (tmp_path / "x.csv").write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    with pytest.raises(ValueError, match="x.csv is not a text CSV file"):
        datasets.load(str(tmp_path / "x.csv"), target="y")
    (tmp_path / "latin.csv").write_bytes("a,y\n1,caf\xe9\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"latin.csv line 2: not UTF-8 text \(byte 0xe9\)"):
        datasets.load(str(tmp_path / "latin.csv"), target="y")
    (tmp_path / "folder.csv").mkdir()
    for folder in (tmp_path, tmp_path / "folder.csv"):
        with pytest.raises(ValueError, match="is a folder; expected a CSV file or a data set"):
            datasets.load(str(folder), target="y")


@pytest.mark.needs("data")
def test_digits_read_from_the_file_equals_load_digits():
    """digits is read from scikit-learn's shipped file without importing scikit-learn; the
    arrays, feature names and classes are those of ``load_digits``."""
    import subprocess
    import sys

    from sklearn.datasets import load_digits

    from actloss.datasets._sources import sklearn_source

    x, y, names, classes = sklearn_source("digits")
    bunch = load_digits()
    np.testing.assert_array_equal(x, bunch.data)
    np.testing.assert_array_equal(y, bunch.target)
    assert x.dtype == np.float64 and y.dtype == np.int64
    assert names == list(bunch.feature_names)
    assert classes == [str(c) for c in bunch.target_names]
    code = ("import sys; from actloss import datasets; datasets.load('digits'); "
            "print('sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def _nearest_neighbour_accuracy(ds) -> float:
    """Leave-one-out 1-nearest-neighbour accuracy on the training split: 1 where the classes
    do not touch, lower the more noise mixes them."""
    x, y = ds.x_train, ds.y_train
    d = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    return float(np.mean(y[d.argmin(1)] == y))


@pytest.mark.parametrize("name", ["moons", "circles", "spirals", "xor"])
def test_noise_reaches_the_generated_sets(name):
    default, own = datasets.load(name), datasets.load(name, noise=datasets.NOISE[name])
    np.testing.assert_array_equal(default.x_train, own.x_train)
    clean, noisy = datasets.load(name, noise=0.0), datasets.load(name, noise=0.6)
    assert _nearest_neighbour_accuracy(clean) >= 0.95  # xor: points near the axes
    assert _nearest_neighbour_accuracy(noisy) < _nearest_neighbour_accuracy(clean) - 0.1
    assert noisy.fingerprint != clean.fingerprint
    assert default.fingerprint == datasets.load(name).fingerprint


@pytest.mark.parametrize("name, noise, message", [
    ("moons", -0.1, r"noise: expected a finite number >= 0 .*received -0.1"),
    ("moons", float("nan"), r"noise: expected a finite number >= 0 .*received nan"),
    ("moons", "0.1", r"noise: expected a finite number"),
    ("iris", 0.1, r"noise: only the generated sets \(moons, circles, spirals, xor\) take noise"),
])
def test_noise_errors(name, noise, message):
    with pytest.raises(ValueError, match=message):
        datasets.load(name, noise=noise)
