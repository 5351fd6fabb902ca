"""keras.io guide "The Sequential model" (fchollet), its Dense-only parts, run with actloss.

The only changes from the guide: the imports (``import keras`` / ``from keras import layers``
-> actloss's), and ``ops.ones`` -> ``np.ones`` (actloss computes on NumPy arrays). Left out:
the Conv2D / MaxPooling2D sections and "feature extraction", which need layers or the
functional API that actloss does not have. Each step checks what the guide says it shows.
"""

import numpy as np

from actloss import layers
from actloss.layers import Input
from actloss.models import Sequential

# ## When to use a Sequential model
# Define Sequential model with 3 layers
model = Sequential(
    [
        layers.Dense(2, activation="relu", name="layer1"),
        layers.Dense(3, activation="relu", name="layer2"),
        layers.Dense(4, name="layer3"),
    ]
)
# Call model on a test input
x = np.ones((3, 3))
y = model(x)
assert y.shape == (3, 4)

# is equivalent to this function:
# Create 3 layers
layer1 = layers.Dense(2, activation="relu", name="layer1")
layer2 = layers.Dense(3, activation="relu", name="layer2")
layer3 = layers.Dense(4, name="layer3")

# Call layers on a test input
x = np.ones((3, 3))
y = layer3(layer2(layer1(x)))
assert y.shape == (3, 4)

# ## Creating a Sequential model
model = Sequential(
    [
        layers.Dense(2, activation="relu"),
        layers.Dense(3, activation="relu"),
        layers.Dense(4),
    ]
)
print(model.layers)
assert len(model.layers) == 3

model = Sequential()
model.add(layers.Dense(2, activation="relu"))
model.add(layers.Dense(3, activation="relu"))
model.add(layers.Dense(4))

model.pop()
print(len(model.layers))  # 2
assert len(model.layers) == 2

model = Sequential(name="my_sequential")
model.add(layers.Dense(2, activation="relu", name="layer1"))
model.add(layers.Dense(3, activation="relu", name="layer2"))
model.add(layers.Dense(4, name="layer3"))

# ## Specifying the input shape in advance
layer = layers.Dense(3)
print(layer.weights)  # Empty
assert layer.weights == []

# Call layer on a test input
x = np.ones((1, 4))
y = layer(x)
print(layer.weights)  # Now it has weights, of shape (4, 3) and (3,)
assert [w.shape for w in layer.weights] == [(4, 3), (3,)]

model = Sequential(
    [
        layers.Dense(2, activation="relu"),
        layers.Dense(3, activation="relu"),
        layers.Dense(4),
    ]
)  # No weights at this stage!

# At this point, you can't do this:
# model.weights

# You also can't do this:
# model.summary()

# Call the model on a test input
x = np.ones((1, 4))
y = model(x)
print("Number of weights after calling the model:", len(model.weights))  # 6
assert len(model.weights) == 6

model.summary()

model = Sequential()
model.add(Input(shape=(4,)))
model.add(layers.Dense(2, activation="relu"))

model.summary()

print(model.layers)
assert len(model.layers) == 1  # the Input is not a layer of model.layers

model = Sequential()
model.add(layers.Dense(2, activation="relu", input_shape=(4,)))

model.summary()
assert model.count_params() == 10

# ## Transfer learning with a Sequential model
model = Sequential(
    [
        Input(shape=(784,)),
        layers.Dense(32, activation="relu"),
        layers.Dense(32, activation="relu"),
        layers.Dense(32, activation="relu"),
        layers.Dense(10),
    ]
)

# Presumably you would want to first load pre-trained weights.
# (the guide: model.load_weights(...); here the weights are the initial ones)
before = [w.copy() for layer in model.layers for w in layer.get_weights()]

# Freeze all layers except the last one.
for layer in model.layers[:-1]:
    layer.trainable = False

# Recompile and train (this will only update the weights of the last layer).
model.compile(optimizer="adam", loss="mse")
rng = np.random.default_rng(0)
model.fit(rng.random((64, 784)), rng.random((64, 10)), epochs=1, verbose=0)
after = [w for layer in model.layers for w in layer.get_weights()]
assert all(np.array_equal(a, b) for a, b in zip(before[:-2], after[:-2]))
assert not np.array_equal(before[-2], after[-2])
model.summary()
print("sequential_model guide: OK")
