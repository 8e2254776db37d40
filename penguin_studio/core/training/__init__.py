"""Training: the TrainConfig, the child-process job that runs it, run history, weights.

Import the submodules directly (``from penguin_studio.core.training.config import
TrainConfig``); this package imports nothing heavy so the CLI and the window start fast.
"""
