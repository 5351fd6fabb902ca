"""Imported last by the lab's fork server (see ``_dask._PRELOAD``), and nowhere else: the server
then leaves at once when the command has gone (``atexit`` runs this handler first), instead of
tearing down distributed and NumPy for 0.3 s (measured) while whoever reads the command's
output, a pipe the server inherited, waits for it. Its children never run it: processes that
a fork server starts end with ``os._exit``.
"""

import atexit
import os

atexit.register(os._exit, 0)
