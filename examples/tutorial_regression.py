"""Tutorial example B, written for tensorflow.keras; only the imports changed."""
import numpy as np
from actloss.models import Sequential
from actloss.layers import Dense
model = Sequential([Dense(64, activation='relu', input_shape=(10,)), Dense(64, activation='relu'), Dense(1)])
model.compile(optimizer='adam', loss='mse')
model.fit(np.random.rand(100, 10), np.random.rand(100), epochs=10)
