"""The model classes by name, for the loaders (``.actloss`` and ``.keras``): ``_sequential``
registers ``Sequential`` here when it is defined, so a loader builds models without importing
the module that imports it (no import circle)."""

MODEL_CLASSES: dict = {}  # {"Sequential": class}
