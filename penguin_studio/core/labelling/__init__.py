"""Label less: the "label next" queue, effort accounting and proposal-model auto-training."""
