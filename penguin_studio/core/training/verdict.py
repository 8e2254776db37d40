"""Did a finished run learn anything? And if not, what to try next, in plain words.

A run that ends with every metric at zero still writes a ``best.pt``: announcing it as
"ready" sends a new user off to evaluate and deploy a model that finds nothing. The monitor
and ``penguin-studio train`` both ask :func:`learned_nothing` first.
"""

from __future__ import annotations

from typing import Any

from penguin_studio.core.training import runs

#: Below this best mAP50 a model finds (almost) nothing: 1 % of the objects at best.
NOTHING_MAP50 = 0.01
SHORT_EPOCHS = 30
SMALL_IMGSZ = 320


def learned_nothing(best: dict[str, float]) -> bool:
    """True when the best epoch's mAP50 is missing, NaN or below :data:`NOTHING_MAP50`."""
    value = best.get(runs.MAP50)
    return value is None or value != value or value < NOTHING_MAP50


def advice(config: dict[str, Any]) -> list[str]:
    """What to try, most promising first, from the run's own settings."""
    tips = []
    epochs = int(config.get("epochs") or 0)
    hours = config.get("time")
    if hours:
        tips.append(f"train longer: a bigger time budget than {hours} h")
    elif epochs:
        tips.append(f"train longer: more epochs than {epochs}"
                    + (" (a few dozen at least)" if epochs < SHORT_EPOCHS else ""))
    else:
        tips.append("train longer (more epochs or a bigger time budget)")
    if config.get("mode", "scratch") == "scratch":
        tips.append("start from pretrained weights (Feature extraction, with a model from "
                    "Models…): a from-scratch model needs far more images and time")
    imgsz = int(config.get("imgsz") or 0)
    if imgsz and imgsz < SMALL_IMGSZ:
        tips.append(f"a larger image size than {imgsz} px, if your objects are small")
    elif not imgsz:
        tips.append("a larger image size, if your objects are small")
    tips.append("check the labels in the Dataset panel (Doctor finds the usual mistakes)")
    return tips


def nothing_learned_message(best: dict[str, float], config: dict[str, Any]) -> str:
    """One short paragraph: the model finds nothing, and what to try."""
    value = best.get(runs.MAP50)
    score = f"mAP50 {value:.3f}" if value is not None and value == value else "no score"
    return (f"This model learned nothing useful ({score}: it finds almost none of your "
            f"objects). Try: " + "; ".join(advice(config)) + ".")
