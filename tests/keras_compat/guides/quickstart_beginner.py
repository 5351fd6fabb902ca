"""TensorFlow 2 quickstart for beginners (tensorflow.org/tutorials/quickstart/beginner), run with
actloss on scikit-learn's ``load_digits`` instead of MNIST (no network here).

Changes from the tutorial: the imports (``import tensorflow as tf`` -> actloss's); MNIST ->
``load_digits`` (8x8 images of 0..16: ``Flatten(input_shape=(8, 8))`` and ``/ 16.0``);
``.numpy()`` dropped (actloss returns NumPy arrays already); ``tf.nn.softmax`` ->
``activations.softmax``.
"""

import numpy as np

from actloss import activations, layers, losses, models

import _digits

(x_train, y_train), (x_test, y_test) = _digits.load_data()
x_train, x_test = x_train / _digits.PIXEL_MAX, x_test / _digits.PIXEL_MAX

model = models.Sequential([
    layers.Flatten(input_shape=(8, 8)),
    layers.Dense(128, activation="relu"),
    layers.Dropout(0.2),
    layers.Dense(10),
])

predictions = model(x_train[:1])
print(predictions)

print(activations.softmax(predictions))

loss_fn = losses.SparseCategoricalCrossentropy(from_logits=True)

print(loss_fn(y_train[:1], predictions))  # about -log(1/10) = 2.3 for an untrained model
assert 1.0 < float(loss_fn(y_train[:1], predictions)) < 4.0

model.compile(optimizer="adam", loss=loss_fn, metrics=["accuracy"])

model.fit(x_train, y_train, epochs=5)

loss, accuracy = model.evaluate(x_test, y_test, verbose=2)
assert accuracy > 0.8, accuracy

probability_model = models.Sequential([model, layers.Softmax()])

probabilities = probability_model(x_test[:5])
print(probabilities)
np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
print("quickstart: OK")
