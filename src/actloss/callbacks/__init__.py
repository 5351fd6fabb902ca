"""Callbacks with Keras names: ``History``, ``EarlyStopping``, ``ModelCheckpoint``,
``TerminateOnNaN``, ``LearningRateScheduler``, ``ReduceLROnPlateau``, ``CSVLogger``, and the
``Callback`` base class for your own.

>>> from actloss.callbacks import EarlyStopping
>>> EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True).patience
3
"""

from ._base import Callback, CallbackList, History, ProgressLogger
from ._progress import Progbar
from ._builtin import (CSVLogger, EarlyStopping, LearningRateScheduler, ModelCheckpoint,
                       ReduceLROnPlateau, TerminateOnNaN)

__all__ = ["Callback", "CallbackList", "History", "ProgressLogger", "Progbar", "EarlyStopping",
           "ModelCheckpoint", "TerminateOnNaN", "LearningRateScheduler", "ReduceLROnPlateau",
           "CSVLogger"]
