"""Truceline's Qt application and command line.

pyqtgraph must never pick another Qt binding than PySide6, so the choice is made here, before
anything in this package can import pyqtgraph.
"""

import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
