"""Keras 3's ``keras/src/models/sequential_test.py``, ported to actloss.

Kept: Keras's inputs, calls and expected values. Changed: imports; ``self.assert*`` -> plain
asserts; ``run_class_serialization_test`` -> ``Sequential.from_config(model.get_config())``.
Left out (they need a tensor backend or the functional API): the symbolic ``KerasTensor``
calls inside ``test_basic_flow_with_input`` / ``test_basic_flow_deferred``, the
``model._functional`` checks, ``test_basic_flow_as_a_submodel`` (TimeDistributed),
``test_basic_flow_with_functional_model_as_first_layer`` and ``..._sequential_model_as_first_layer``
(Conv2D, nested models), ``test_dict_inputs``, ``test_list_inputs``, ``test_nested_sequential``,
``test_shape_inference_failure`` and ``test_training_arg`` (user layers written as ``call``),
``test_serialization_with_lambda_layer`` (Lambda, ``.keras`` files),
``test_functional_properties``' ``inputs``/``outputs`` (symbolic tensors),
``test_bad_layer``'s second half (a ``call`` with a bad signature).
Diverging on purpose: ``InputLayer`` is not a separate class in actloss (``Input`` returns
the input spec Keras's ``InputLayer`` stands for), so the ``layers.InputLayer`` line of
``test_errors`` uses ``Input``.
"""

import pickle

import numpy as np
import pytest

from actloss import layers
from actloss.layers import Input
from actloss.models import Sequential


def test_basic_flow_with_input():
    model = Sequential(name="seq")
    model.add(Input(shape=(2,), batch_size=3))
    model.add(layers.Dense(4))
    model.add(layers.Dense(5))
    model.summary()

    assert len(model.layers) == 2
    assert model.built
    assert len(model.weights) == 4

    # Test eager call
    x = np.random.random((3, 2))
    y = model(x)
    assert y.shape == (3, 5)

    # Test `layers` constructor arg
    model = Sequential(layers=[Input(shape=(2,), batch_size=3), layers.Dense(4),
                               layers.Dense(5)])
    assert len(model.layers) == 2
    assert model.built
    assert len(model.weights) == 4

    x = np.random.random((3, 2))
    y = model(x)
    assert y.shape == (3, 5)

    # Test pop
    model.pop()
    assert len(model.layers) == 1
    assert model.built
    assert len(model.weights) == 2

    x = np.random.random((3, 2))
    y = model(x)
    assert y.shape == (3, 4)


def test_legacy_flow_with_input_shape():
    model = Sequential(name="seq")
    model.add(layers.Dense(4, input_shape=(2,)))
    model.add(layers.Dense(5))

    assert len(model.layers) == 2
    assert model.built
    assert len(model.weights) == 4

    # Input_dim works too
    model = Sequential(name="seq")
    model.add(layers.Dense(4, input_dim=2))
    model.add(layers.Dense(5))

    assert len(model.layers) == 2
    assert model.built
    assert len(model.weights) == 4

    # Subsequent input_shapes are ignored
    model = Sequential(name="seq")
    model.add(layers.Dense(4, input_shape=(2,)))
    model.add(layers.Dense(5, input_shape=(3, 4)))

    assert len(model.layers) == 2
    assert model.built
    assert len(model.weights) == 4


def test_basic_flow_deferred():
    model = Sequential(name="seq")
    model.add(layers.Dense(4))
    model.add(layers.Dense(5))
    model.summary()

    assert len(model.layers) == 2

    # Test eager call
    x = np.random.random((3, 2))
    y = model(x)
    assert model.built
    model.summary()
    assert y.shape == (3, 5)

    # Test `layers` constructor arg
    model = Sequential(layers=[layers.Dense(4), layers.Dense(5)])
    x = np.random.random((3, 2))
    y = model(x)
    assert y.shape == (3, 5)

    # Test pop
    model.pop()
    assert len(model.layers) == 1
    assert model.built
    assert len(model.weights) == 2

    x = np.random.random((3, 2))
    y = model(x)
    assert y.shape == (3, 4)


def test_errors():
    # Trying to pass 2 Inputs
    model = Sequential()
    model.add(Input(shape=(2,), batch_size=3))
    with pytest.raises(ValueError, match="already been configured"):
        model.add(Input(shape=(2,), batch_size=3))
    with pytest.raises(ValueError, match="already been configured"):
        model.add(Input(shape=(2,), batch_size=3))  # Keras: layers.InputLayer(...)

    # Same name 2x
    model = Sequential()
    model.add(layers.Dense(2, name="dense"))
    with pytest.raises(ValueError, match="should have unique names"):
        model.add(layers.Dense(2, name="dense"))

    # No layers
    model = Sequential()
    x = np.random.random((3, 2))
    with pytest.raises(ValueError, match="no layers"):
        model(x)

    # Build conflict
    model = Sequential()
    model.add(Input(shape=(2,), batch_size=3))
    model.add(layers.Dense(2))
    with pytest.raises(ValueError, match="already been configured"):
        model.build((3, 4))
    # But this works
    model.build((3, 2))


def test_serialization():
    # Unbuilt deferred
    model = Sequential(name="seq")
    model.add(layers.Dense(4))
    model.add(layers.Dense(5))
    revived = Sequential.from_config(model.get_config())
    assert len(revived.layers) == 2

    # Built deferred
    model.build((2, 3))
    revived = Sequential.from_config(model.get_config())
    assert len(revived.layers) == 2

    # Regular
    model = Sequential(name="seq")
    model.add(Input(shape=(2,), batch_size=3))
    model.add(layers.Dense(4))
    model.add(layers.Dense(5))
    model.add(layers.Dense(6))
    revived = Sequential.from_config(model.get_config())
    assert len(revived.layers) == 3


def test_functional_properties():
    model = Sequential(name="seq")
    inputs = Input(shape=(2,))
    model.add(inputs)
    model.add(layers.Dense(4))

    assert model.input_shape == (None, 2)
    assert model.output_shape == (None, 4)


def test_pickleable():
    model = Sequential(name="seq")
    model.add(layers.Dense(4))

    result = pickle.loads(pickle.dumps(model))
    assert len(result.layers) == 1


def test_bad_layer():
    model = Sequential(name="seq")
    with pytest.raises(ValueError, match="Only instances of"):
        model.add({})


def test_compute_output_shape():
    layer = Sequential([layers.Dense(4), layers.Dense(8)])
    output_shape = layer.compute_output_shape((1, 2))
    assert output_shape == (1, 8)


def test_hasattr():
    model = Sequential()
    assert not hasattr(model, "input_shape")
    assert not hasattr(model, "output_shape")

    model = Sequential([layers.Input((4,)), layers.Dense(8)])
    assert hasattr(model, "input_shape")
    assert hasattr(model, "output_shape")


def test_layers_setter():
    model = Sequential()
    with pytest.raises(AttributeError, match=r"Use `add\(\)` and `pop\(\)`"):
        model.layers = [layers.Dense(4)]
