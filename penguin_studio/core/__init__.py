"""Qt-free core of Penguin Studio: datasets, training, evaluation, inference.

Nothing below this package may import Qt (PySide6, shiboken6, pyqtgraph, superqt):
the same code runs headless on a GPU server and inside the desktop app.
"""
