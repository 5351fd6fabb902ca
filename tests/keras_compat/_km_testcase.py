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
                if isinstance(case, dict):
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


class ops:  # noqa: N801 - the few backend ops the ported tests call, in NumPy
    log = staticmethod(np.log)
    transpose = staticmethod(np.transpose)
    zeros = staticmethod(np.zeros)

    @staticmethod
    def one_hot(x, num_classes):
        return np.eye(num_classes)[np.asarray(x)]

    @staticmethod
    def cast(x, dtype):
        return np.asarray(x).astype(dtype)
