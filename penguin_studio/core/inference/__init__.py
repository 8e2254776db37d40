"""Inference: prediction, filtering cached candidates, video sources."""
