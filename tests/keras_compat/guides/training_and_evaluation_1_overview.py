"""keras.io guide "Training & evaluation with the built-in methods" (fchollet), part 1:
"API overview: a first end-to-end example" and "Custom losses", run with actloss.

Changes from the guide: the imports; MNIST -> ``load_digits`` (``_digits.py``: 64 pixels of
0..16 instead of 784 of 0..255, 300 validation samples instead of 10,000); ``ops.*`` ->
NumPy; the guide's functional ``keras.Model(inputs, outputs)`` -> the same layers in a
``Sequential`` (actloss has no functional API). Everything else as the guide writes it.
"""

import numpy as np

from actloss import layers, losses, metrics, optimizers
from actloss.layers import Input
from actloss.models import Sequential

import _digits

# ## API overview: a first end-to-end example
model = Sequential([
    Input(shape=(_digits.IMAGE_SIZE,), name="digits"),
    layers.Dense(64, activation="relu", name="dense_1"),
    layers.Dense(64, activation="relu", name="dense_2"),
    layers.Dense(10, activation="softmax", name="predictions"),
])

(x_train, y_train), (x_test, y_test) = _digits.load_data()

# Preprocess the data (these are NumPy arrays)
x_train = x_train.reshape(-1, _digits.IMAGE_SIZE).astype("float32") / _digits.PIXEL_MAX
x_test = x_test.reshape(-1, _digits.IMAGE_SIZE).astype("float32") / _digits.PIXEL_MAX

y_train = y_train.astype("float32")
y_test = y_test.astype("float32")

# Reserve samples for validation
x_val = x_train[-300:]
y_val = y_train[-300:]
x_train = x_train[:-300]
y_train = y_train[:-300]

model.compile(
    optimizer=optimizers.RMSprop(),  # Optimizer
    # Loss function to minimize
    loss=losses.SparseCategoricalCrossentropy(),
    # List of metrics to monitor
    metrics=[metrics.SparseCategoricalAccuracy()],
)

print("Fit model on training data")
history = model.fit(
    x_train,
    y_train,
    batch_size=64,
    epochs=2,
    # We pass some validation for
    # monitoring validation loss and metrics
    # at the end of each epoch
    validation_data=(x_val, y_val),
)
print(history.history)
assert sorted(history.history) == ["loss", "sparse_categorical_accuracy", "val_loss",
                                   "val_sparse_categorical_accuracy"]

# Evaluate the model on the test data using `evaluate`
print("Evaluate on test data")
results = model.evaluate(x_test, y_test, batch_size=128)
print("test loss, test acc:", results)
assert len(results) == 2 and results[1] > 0.5

# Generate predictions (probabilities -- the output of the last layer)
# on new data using `predict`
print("Generate predictions for 3 samples")
predictions = model.predict(x_test[:3])
print("predictions shape:", predictions.shape)
assert predictions.shape == (3, 10)

# ## The compile() method: specifying a loss, metrics, and an optimizer
model.compile(
    optimizer=optimizers.RMSprop(learning_rate=1e-3),
    loss=losses.SparseCategoricalCrossentropy(),
    metrics=[metrics.SparseCategoricalAccuracy()],
)


# ### Custom losses
def get_uncompiled_model():
    return Sequential([
        Input(shape=(_digits.IMAGE_SIZE,), name="digits"),
        layers.Dense(64, activation="relu", name="dense_1"),
        layers.Dense(64, activation="relu", name="dense_2"),
        layers.Dense(10, activation="softmax", name="predictions"),
    ])


def custom_mean_squared_error(y_true, y_pred):
    return np.mean(np.square(y_true - y_pred), axis=-1)


model = get_uncompiled_model()
model.compile(optimizer=optimizers.Adam(), loss=custom_mean_squared_error)

# We need to one-hot encode the labels to use MSE
y_train_one_hot = np.eye(10)[y_train.astype(int)]  # the guide: ops.one_hot(y_train, 10)
model.fit(x_train, y_train_one_hot, batch_size=64, epochs=1)
print("training_and_evaluation part 1: OK")
