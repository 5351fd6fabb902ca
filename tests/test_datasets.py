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
    ("a,y\n1,0\n,1\n5,0\n", "y", r"feature column 'a' is not numeric \(line 3: empty\)"),
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
