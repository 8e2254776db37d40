"""The Qt layer: panels, the main window that assembles them, workers adapting core jobs."""
