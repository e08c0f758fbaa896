"""Toxicity backend on Detoxify: by model type (downloads where the network allows) or a local checkpoint.

Offline, a checkpoint file in Detoxify's format plus a local folder with the Hugging Face config and
tokenizer files is the way: `checkpoint=` and `huggingface_config_path=`. Detoxify builds the
config with `from_pretrained(<the checkpoint's own model_type>)`, e.g. "bert-base-uncased", which
offline resolves only if that is a local folder. When it is not, this loader rebases the
checkpoint onto `huggingface_config_path` (the same files, so the same architecture) and builds
the model through Detoxify's own `get_model_and_tokenizer`; inference is Detoxify's `predict`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from detoxify import Detoxify
from detoxify.detoxify import MODEL_URLS, get_model_and_tokenizer

from filters.config import DetoxifySettings
from filters.toxicity import split_texts

log = logging.getLogger(__name__)

# Detoxify's own renaming of the Jigsaw class names (detoxify.detoxify.load_checkpoint).
CLASS_NAMES = {"toxic": "toxicity", "identity_hate": "identity_attack", "severe_toxic": "severe_toxicity"}


class ToxicityModelUnavailable(RuntimeError):
    """The configured Detoxify model cannot be loaded (offline without local files, bad checkpoint)."""


def cached_checkpoint(model_type: str) -> Path | None:
    """The torch-hub cache file of a Detoxify model type, if an earlier download left it there."""
    url = MODEL_URLS.get(model_type)
    if url is None:
        return None
    path = Path(torch.hub.get_dir()) / "checkpoints" / url.rsplit("/", 1)[1]
    return path if path.is_file() else None


def _rebased(checkpoint: Path, config_path: str, device: str) -> Detoxify:
    # Checkpoints are operator-provided files (pickles); weights_only=False is what Detoxify itself uses.
    loaded = torch.load(checkpoint, map_location=device, weights_only=False)
    if "config" not in loaded or "state_dict" not in loaded:
        raise ToxicityModelUnavailable(f"{checkpoint}: not a Detoxify checkpoint (needs 'config' and 'state_dict')")
    args = dict(loaded["config"]["arch"]["args"])
    log.info("Detoxify checkpoint %s: model_type %r rebased onto %s", checkpoint, args["model_type"], config_path)
    args["model_type"] = config_path
    model, tokenizer = get_model_and_tokenizer(
        **args, state_dict=loaded["state_dict"], huggingface_config_path=config_path
    )
    detoxify = Detoxify.__new__(Detoxify)
    detoxify.model, detoxify.tokenizer, detoxify.device = model, tokenizer, device
    classes = loaded["config"]["dataset"]["args"]["classes"]
    detoxify.class_names = [CLASS_NAMES.get(name, name) for name in classes]
    detoxify.model.to(device)
    return detoxify


def load_detoxify(settings: DetoxifySettings) -> Detoxify:
    """Load Detoxify as configured; raises ToxicityModelUnavailable with the reason and the fix."""
    checkpoint = Path(settings.checkpoint) if settings.checkpoint else cached_checkpoint(settings.model_type)
    config_path = settings.huggingface_config_path
    try:
        if checkpoint is None:
            # Downloads the checkpoint (torch hub) and the base model's config/tokenizer (Hugging Face).
            return Detoxify(model_type=settings.model_type, device=settings.device)
        if not checkpoint.is_file():
            raise ToxicityModelUnavailable(f"Detoxify checkpoint {checkpoint} does not exist")
        if config_path is None:
            return Detoxify(checkpoint=str(checkpoint), device=settings.device)
        if not Path(config_path).is_dir():
            raise ToxicityModelUnavailable(f"huggingface_config_path {config_path} is not a folder")
        own_type = torch.load(checkpoint, map_location="cpu", weights_only=False)["config"]["arch"]["args"]
        if Path(str(own_type["model_type"])).is_dir():
            return Detoxify(checkpoint=str(checkpoint), device=settings.device, huggingface_config_path=config_path)
        return _rebased(checkpoint, config_path, settings.device)
    except ToxicityModelUnavailable:
        raise
    except (OSError, KeyError, ValueError, RuntimeError) as exc:
        raise ToxicityModelUnavailable(
            f"Detoxify model {settings.model_type!r} (checkpoint={settings.checkpoint}) cannot be loaded: {exc}. "
            "Offline, give a local checkpoint and huggingface_config_path, or use the 'profanity' backend."
        ) from exc


class DetoxifyScorer:
    """Detoxify's multi-label classifier; long texts are scored in pieces (highest score per label)."""

    backend = "detoxify"
    inline = False  # a transformer: batched in workers

    def __init__(self, settings: DetoxifySettings, max_chars: int = 1500) -> None:
        self._settings = settings
        self._model = load_detoxify(settings)
        self.labels: tuple[str, ...] = tuple(self._model.class_names)
        self._max_chars = max_chars

    def score_batch(self, texts: Sequence[str]) -> list[dict[str, float]]:
        pieces, owners = split_texts(texts, self._max_chars)
        if not pieces:
            return []
        raw: dict[str, Any] = self._model.predict(pieces)
        best: list[dict[str, float]] = [dict.fromkeys(self.labels, 0.0) for _ in texts]
        for label, values in raw.items():
            column = values if isinstance(values, list) else [values]  # one text: Detoxify squeezes to a float
            for owner, value in zip(owners, column, strict=True):
                best[owner][label] = max(best[owner][label], float(value))
        return best

    def describe(self) -> dict[str, object]:
        return {
            "backend": self.backend,
            "labels": list(self.labels),
            "model_type": self._settings.model_type,
            "checkpoint": self._settings.checkpoint,
            "huggingface_config_path": self._settings.huggingface_config_path,
        }
