"""The Segment Anything checkpoints the Smart box knows, and how to tell them apart from the
class and parameter names a checkpoint's pickle holds.

Kept apart from :mod:`.weights` (which reads files) so that :mod:`penguin_studio.core.model_files`,
which :mod:`.weights` builds on, can name a SAM file picked as a detector without an import
cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

RELEASE = "v8.3.0"
GRABCUT = "grabcut"


@dataclass(frozen=True)
class SamModel:
    """A Segment Anything checkpoint ultralytics publishes (sizes approximate)."""

    name: str       # the file name ultralytics recognises
    label: str      # what the app calls it
    size_mb: float
    family: str     # "sam", "sam2" or "fastsam"
    sha256: str | None = None  # of ultralytics' release asset, where one is published


#: No digest is pinned: neither ultralytics' code nor its release notes publish SHA-256
#: values for these assets (the only published one found, 6dbb9052… in
#: open-edge-platform/model_api#350, is for the MobileSAM authors' own GitHub copy, not
#: proven to be the same bytes). A download is instead checked against the announced size
#: and, by :func:`download_problem`, for being the architecture its name promises.
SAM_MODELS: tuple[SamModel, ...] = (
    SamModel("mobile_sam.pt", "MobileSAM", 40.7, "sam"),
    SamModel("sam2.1_t.pt", "SAM 2.1 tiny", 78.0, "sam2"),
    SamModel("sam2.1_s.pt", "SAM 2.1 small", 92.0, "sam2"),
    SamModel("FastSAM-s.pt", "FastSAM-s", 23.7, "fastsam"),
)
_BY_NAME = {m.name: m for m in SAM_MODELS}
_OTHER = {"sam_b.pt": SamModel("sam_b.pt", "SAM ViT-B", 375.0, "sam"),
          "sam2.1_b.pt": SamModel("sam2.1_b.pt", "SAM 2.1 base", 162.0, "sam2"),
          "sam2_t.pt": SamModel("sam2_t.pt", "SAM 2 tiny", 78.0, "sam2"),
          "sam2_s.pt": SamModel("sam2_s.pt", "SAM 2 small", 92.0, "sam2")}
SAM_NAMES = tuple(m.name for m in SAM_MODELS)
ASK = ("use mobile_sam.pt, sam2.1_t.pt, sam2.1_s.pt or FastSAM-s.pt (Models… imports or "
       "downloads them)")


def sam_model(name: str) -> SamModel | None:
    return _BY_NAME.get(name) or _OTHER.get(name)


def tasks_of(classes: set[str]) -> set[str]:
    """The ultralytics model classes (``DetectionModel``…) among pickled class names."""
    return {c.rsplit(".", 1)[-1] for c in classes if c.startswith("ultralytics.nn.tasks.")}


def sam_in(name: str, classes: set[str], keys: set[str]) -> SamModel | None:
    """The SAM architecture a checkpoint named ``name`` holds, from its pickled class names
    and parameter names (FastSAM is a YOLO segmenter: told by its name), or None."""
    if "SegmentationModel" in tasks_of(classes) and name.lower().startswith("fastsam"):
        return SamModel(name, "FastSAM", 0.0, "fastsam")
    encoder = {k for k in keys if k.startswith("image_encoder.")}
    if tasks_of(classes) or not encoder:
        return None
    if any(k.startswith("image_encoder.patch_embed.seq.") for k in encoder):
        return _BY_NAME["mobile_sam.pt"]
    if any(k.startswith("image_encoder.trunk.") for k in encoder):
        blocks = {int(k.split(".")[3]) for k in encoder
                  if k.startswith("image_encoder.trunk.blocks.") and k.split(".")[3].isdigit()}
        v21 = "no_obj_embed_spatial" in keys
        size = "t" if len(blocks) <= 12 else "s" if len(blocks) <= 16 else "b"
        known = f"sam2{'.1' if v21 else ''}_{size}.pt"
        return sam_model(known) or SamModel(known, known, 0.0, "sam2")
    if any(k.startswith("image_encoder.blocks.") for k in encoder):
        return _OTHER["sam_b.pt"]
    return None
