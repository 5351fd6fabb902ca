"""keras.io guide "Training & evaluation with the built-in methods" (fchollet), part 2: the
string shortcuts, ``validation_split``, class and sample weights, callbacks (EarlyStopping,
a custom callback, ModelCheckpoint) and learning-rate schedules, run with actloss.

Changes from the guide: the imports; MNIST -> ``load_digits`` (``_digits.py``); the
functional model -> the same layers in a ``Sequential``; epochs kept small where the guide
trains for 20 (with EarlyStopping: as the guide). Left out: tf.data, multi-input/output
models, custom Metric/Loss subclasses, TensorBoard.
"""

import os
import tempfile

import numpy as np

from actloss import callbacks, layers, optimizers
from actloss.layers import Input
from actloss.models import Sequential

import _digits

(x_train, y_train), (x_test, y_test) = _digits.load_data()
x_train = x_train.reshape(-1, _digits.IMAGE_SIZE).astype("float32") / _digits.PIXEL_MAX
x_test = x_test.reshape(-1, _digits.IMAGE_SIZE).astype("float32") / _digits.PIXEL_MAX
y_train = y_train.astype("float32")
y_test = y_test.astype("float32")


def get_uncompiled_model():
    return Sequential([
        Input(shape=(_digits.IMAGE_SIZE,), name="digits"),
        layers.Dense(64, activation="relu", name="dense_1"),
        layers.Dense(64, activation="relu", name="dense_2"),
        layers.Dense(10, activation="softmax", name="predictions"),
    ])


def get_compiled_model():
    model = get_uncompiled_model()
    model.compile(
        optimizer="rmsprop",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    return model


# ## Using a validation split
model = get_compiled_model()
history = model.fit(x_train, y_train, batch_size=64, validation_split=0.2, epochs=1)
assert "val_sparse_categorical_accuracy" in history.history

# ## Using sample weighting and class weighting
class_weight = {
    0: 1.0, 1: 1.0, 2: 1.0, 3: 1.0, 4: 1.0,
    # Set weight "2" for class "5",
    # making this class 2x more important
    5: 2.0,
    6: 1.0, 7: 1.0, 8: 1.0, 9: 1.0,
}

print("Fit with class weight")
model = get_compiled_model()
model.fit(x_train, y_train, class_weight=class_weight, batch_size=64, epochs=1)

sample_weight = np.ones(shape=(len(y_train),))
sample_weight[y_train == 5] = 2.0

print("Fit with sample weight")
model = get_compiled_model()
model.fit(x_train, y_train, sample_weight=sample_weight, batch_size=64, epochs=1)

# ## Using callbacks
model = get_compiled_model()

callbacks_list = [
    callbacks.EarlyStopping(
        # Stop training when `val_loss` is no longer improving
        monitor="val_loss",
        # "no longer improving" being defined as "no better than 1e-2 less"
        min_delta=1e-2,
        # "no longer improving" being further defined as "for at least 2 epochs"
        patience=2,
        verbose=1,
    )
]
history = model.fit(x_train, y_train, epochs=20, batch_size=64, callbacks=callbacks_list,
                    validation_split=0.2)
assert len(history.epoch) <= 20


# ### Writing your own callback
class LossHistory(callbacks.Callback):
    def on_train_begin(self, logs):
        self.per_batch_losses = []

    def on_batch_end(self, batch, logs):
        self.per_batch_losses.append(logs.get("loss"))


loss_history = LossHistory()
model.fit(x_train, y_train, epochs=1, batch_size=64, callbacks=[loss_history])
assert len(loss_history.per_batch_losses) == -(-len(x_train) // 64)

# ## Checkpointing models
model = get_compiled_model()
folder = tempfile.mkdtemp()
callbacks_list = [
    callbacks.ModelCheckpoint(
        # Path where to save the model
        # The two parameters below mean that we will overwrite
        # the current checkpoint if and only if
        # the `val_loss` score has improved.
        # The saved model name will include the current epoch.
        filepath=os.path.join(folder, "mymodel_{epoch}.keras"),
        save_best_only=True,  # Only save a model if `val_loss` has improved.
        monitor="val_loss",
        verbose=1,
    )
]
model.fit(x_train, y_train, epochs=2, batch_size=64, callbacks=callbacks_list,
          validation_split=0.2)
assert os.path.exists(os.path.join(folder, "mymodel_1.keras"))

# ## Using learning rate schedules
initial_learning_rate = 0.1
lr_schedule = optimizers.schedules.ExponentialDecay(
    initial_learning_rate, decay_steps=100000, decay_rate=0.96, staircase=True
)

optimizer = optimizers.RMSprop(learning_rate=lr_schedule)
model = get_uncompiled_model()
model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
model.fit(x_train, y_train, epochs=1, batch_size=64)

print("training_and_evaluation part 2: OK")
