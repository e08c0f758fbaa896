"""Builds a small checkpoint in Detoxify's format, so the real loading and inference path runs offline.

The model is a 2-layer BERT with random weights: its scores mean nothing; what the tests check is
that Detoxify loads the checkpoint, its config and its tokenizer from local files and predicts.
"""

from __future__ import annotations

from pathlib import Path

import torch
import transformers
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

JIGSAW_CLASSES = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]
SENTENCES = [
    "you are a wonderful person and I like working with you",
    "this is a terrible comment written by an idiot",
    "have a nice day my friend, see you at the meeting",
    "the quarterly report is attached, please review it",
    "shut up, nobody wants to hear your stupid opinion",
]


def _train_wordpiece(folder: Path) -> Path:
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(vocab_size=300, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    tokenizer.train_from_iterator(SENTENCES * 4, trainer)
    vocab_file = folder / "vocab.txt"
    ordered = sorted(tokenizer.get_vocab().items(), key=lambda item: item[1])
    vocab_file.write_text("".join(token + "\n" for token, _ in ordered), encoding="utf-8")
    return vocab_file


def build_tiny_detoxify_checkpoint(root: Path) -> dict[str, Path]:
    """Write `config/` (HF config + tokenizer) and two checkpoints under `root`.

    The checkpoint records its base model as `model_type`, which Detoxify passes to
    `from_pretrained`: `tiny.ckpt` records the local config folder; `tiny-bert-base-uncased.ckpt`
    records "bert-base-uncased", as Detoxify's published checkpoints do.
    """
    folder = root / "config"
    folder.mkdir(parents=True, exist_ok=True)
    vocab_file = _train_wordpiece(folder)
    tokenizer = transformers.BertTokenizer(str(vocab_file), model_max_length=128)
    tokenizer.save_pretrained(str(folder))
    config = transformers.BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    config.num_labels = len(JIGSAW_CLASSES)  # a PretrainedConfig property, not a typed constructor argument
    config.save_pretrained(str(folder))
    torch.manual_seed(0)
    model = transformers.BertForSequenceClassification(config)
    checkpoint = {
        "config": {
            "arch": {
                "args": {
                    "model_type": str(folder),
                    "model_name": "BertForSequenceClassification",
                    "tokenizer_name": "BertTokenizer",
                    "num_classes": len(JIGSAW_CLASSES),
                }
            },
            "dataset": {"args": {"classes": JIGSAW_CLASSES}},
        },
        "state_dict": model.state_dict(),
    }
    path = root / "tiny.ckpt"
    torch.save(checkpoint, path)
    rebased = root / "tiny-bert-base-uncased.ckpt"
    checkpoint["config"]["arch"]["args"]["model_type"] = "bert-base-uncased"
    torch.save(checkpoint, rebased)
    return {"config": folder, "checkpoint": path, "checkpoint_named_base": rebased}
