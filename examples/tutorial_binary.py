"""Tutorial example A, written for tensorflow.keras; only the imports changed."""
import numpy as np
from actloss.models import Sequential
from actloss.layers import Dense
from actloss.optimizers import Adam
np.random.seed(0)
X = np.random.rand(100, 10); y = np.random.randint(0, 2, 100)
model = Sequential()
model.add(Dense(10, input_dim=10, activation='relu'))
model.add(Dense(1, activation='sigmoid'))
model.compile(optimizer=Adam(learning_rate=0.01), loss='binary_crossentropy', metrics=['accuracy'])
model.fit(X, y, epochs=10, batch_size=32)
