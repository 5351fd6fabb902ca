"""Keras's ``testing.TestCase`` assertions on plain pytest classes (for the ported metric and
optimizer tests): the same names, defaults and tolerances, so the ported bodies stay as Keras
wrote them. Plain classes (not ``unittest.TestCase``) so ``pytest.mark.parametrize`` works
where Keras used ``absl.parameterized``."""

import contextlib
import importlib
import json

import numpy as np
import pytest


class TestCase:
    def setUp(self):
        pass

    def setup_method(self, method):
        self.setUp()

    # ---- unittest-style
    def assertEqual(self, a, b, msg=None):
        assert a == b, msg or f"{a!r} != {b!r}"

    def assertNotEqual(self, a, b, msg=None):
        assert a != b, msg or f"{a!r} == {b!r}"

    def assertTrue(self, x, msg=None):
        assert x, msg

    def assertFalse(self, x, msg=None):
        assert not x, msg

    def assertIsNone(self, x, msg=None):
        assert x is None, msg

    def assertIn(self, a, b, msg=None):
        assert a in b, msg

    def assertNotIn(self, a, b, msg=None):
        assert a not in b, msg

    def assertIsInstance(self, x, cls, msg=None):
        assert isinstance(x, cls), msg

    def assertDictEqual(self, a, b, msg=None):
        assert a == b, msg or f"{a!r} != {b!r}"

    def assertLen(self, x, n, msg=None):
        assert len(x) == n, msg or f"len {len(x)} != {n}"

    def assertRaisesRegex(self, exc, regex):
        return pytest.raises(exc, match=regex)

    def assertRaises(self, exc):
        return pytest.raises(exc)

    def assertWarns(self, category):
        return pytest.warns(category)

    def assertWarnsRegex(self, category, regex):
        return pytest.warns(category, match=regex)

    @contextlib.contextmanager
    def subTest(self, **kwargs):
        yield

    # ---- Keras's numeric assertions (keras/src/testing/test_case.py)
    def assertAllClose(self, actual, desired, atol=1e-6, rtol=1e-6, msg=None):
        np.testing.assert_allclose(np.asarray(actual, dtype=np.float64),
                                   np.asarray(desired, dtype=np.float64), atol=atol, rtol=rtol,
                                   err_msg=msg or "")

    def assertAlmostEqual(self, actual, desired, decimal=3, msg=None):
        np.testing.assert_almost_equal(np.asarray(actual, dtype=np.float64),
                                       np.asarray(desired, dtype=np.float64), decimal=decimal,
                                       err_msg=msg or "")

    def assertAllEqual(self, actual, desired, msg=None):
        np.testing.assert_array_equal(np.asarray(actual), np.asarray(desired), err_msg=msg or "")

    def run_class_serialization_test(self, instance):
        """Keras's check: ``get_config`` -> ``from_config`` -> ``get_config`` is the same JSON,
        the revived object has the same attributes, and so does the ``serialize`` /
        ``deserialize`` round trip of the object's package."""
        cls = type(instance)
        config = instance.get_config()
        config_json = json.dumps(config, sort_keys=True)
        ref_dir = set(dir(instance))
        revived = cls.from_config(config)
        assert json.dumps(revived.get_config(), sort_keys=True) == config_json
        assert set(dir(revived)) == ref_dir
        package = importlib.import_module(cls.__module__)
        if not hasattr(package, "serialize"):  # defined in a private module of the package
            package = importlib.import_module(cls.__module__.rsplit(".", 1)[0])
        serialized = json.loads(json.dumps(package.serialize(instance)))
        revived = package.deserialize(serialized)
        assert json.dumps(revived.get_config(), sort_keys=True) == config_json
        assert set(dir(revived)) == ref_dir
        return revived


class parameterized:  # noqa: N801 - absl's spelling, so the ported decorators stay as written
    """``absl.testing.parameterized.parameters`` / ``named_parameters`` as pytest marks."""

    @staticmethod
    def _mark(cases, ids=None):
        def decorate(fn):
            import inspect
            names = [p for p in inspect.signature(fn).parameters if p != "self"]
            rows = []
            for case in cases:
                if hasattr(case, "marks") and hasattr(case, "values"):  # a pytest.param
                    rows.append(case)
                elif isinstance(case, dict):
                    rows.append(tuple(case[n] for n in names))
                elif isinstance(case, tuple):
                    rows.append(case)
                else:
                    rows.append((case,))
            return pytest.mark.parametrize(names, rows, ids=ids)(fn)
        return decorate

    @staticmethod
    def parameters(*cases):
        if len(cases) == 1 and isinstance(cases[0], list):
            cases = cases[0]
        return parameterized._mark(cases)

    @staticmethod
    def named_parameters(*cases):
        ids, rows = [], []
        for case in cases:
            if isinstance(case, dict):
                case = dict(case)
                ids.append(case.pop("testcase_name"))
                rows.append(case)
            else:
                ids.append(case[0])
                rows.append(tuple(case[1:]))
        return parameterized._mark(rows, ids)


class Variable(np.ndarray):
    """Keras's ``backend.Variable`` for these tests: a float32 array with a ``name``,
    ``assign`` and ``numpy()`` (actloss's optimizers update NumPy arrays in place)."""

    name = None

    def assign(self, value):
        self[...] = value

    def numpy(self):
        return np.array(self, dtype=self.dtype)  # a copy, as Keras's


class backend:  # noqa: N801
    @staticmethod
    def Variable(initializer, name=None, dtype="float32", trainable=True):  # noqa: N802
        v = np.array(initializer, dtype=dtype).view(Variable)
        v.name = name
        return v

    @staticmethod
    def convert_to_tensor(x, dtype="float32"):
        return np.asarray(x, dtype=dtype)

    @staticmethod
    def floatx():
        return "float32"


class ops:  # noqa: N801 - the few backend ops the ported tests call, in NumPy (float32, as Keras)
    log = staticmethod(np.log)
    transpose = staticmethod(np.transpose)

    @staticmethod
    def zeros(shape, dtype="float32"):
        return np.zeros(shape, dtype)

    @staticmethod
    def array(x, dtype="float32"):
        return np.array(x, dtype=dtype)

    @staticmethod
    def ones(shape, dtype="float32"):
        return np.ones(shape, dtype)

    @staticmethod
    def full(shape, value, dtype="float32"):
        return np.full(shape, value, dtype)

    @staticmethod
    def arange(start, stop, step=1, dtype="float32"):
        return np.arange(*(np.float32(a) for a in (start, stop, step)), dtype=dtype)

    @staticmethod
    def one_hot(x, num_classes):
        return np.eye(num_classes)[np.asarray(x)]

    @staticmethod
    def cast(x, dtype):
        return np.asarray(x).astype(dtype)
