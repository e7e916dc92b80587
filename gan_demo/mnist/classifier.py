"""The frozen evaluation classifier: a small CNN trained on the 8k training split.

Architecture (ours, a slimmed PacGAN/Keras ``mnist_cnn``): conv 1->16 3x3 -> ReLU -> maxpool 2 ->
conv 16->32 3x3 -> ReLU -> maxpool 2 -> dense 1568->128 -> ReLU (the **features**, 128-d) ->
dropout 0.3 (training only) -> dense 128->10. Inputs are images in [-1, 1].

Regenerate the shipped file (about a minute on 2 CPU cores)::

    python -m gan_demo.mnist.classifier --out checkpoints/mnist/classifier.safetensors

The JSON sidecar records the data split, the held-out accuracy and a SHA-256 of the weights.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shlex
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import nn

from .data import load_split

FEATURE_DIM = 128
SHIPPED = Path(__file__).resolve().parents[2] / "checkpoints" / "mnist" / "classifier.safetensors"


class MNISTClassifier(nn.Module):
    """images (N, 1, 28, 28) or (N, 784) in [-1, 1] -> logits (N, 10); ``features`` gives (N, 128)."""

    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(1, 16, 3, padding=1)
        self.c2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc = nn.Linear(32 * 7 * 7, FEATURE_DIM)
        self.head = nn.Linear(FEATURE_DIM, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        h = x.reshape(x.shape[0], 1, 28, 28)
        h = F.max_pool2d(F.relu(self.c1(h)), 2)  # (N, 16, 14, 14)
        h = F.max_pool2d(F.relu(self.c2(h)), 2)  # (N, 32, 7, 7)
        return F.relu(self.fc(h.flatten(1)))  # (N, 128)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(F.dropout(self.features(x), 0.3, training=self.training))


def weights_sha256(model: nn.Module) -> str:
    h = hashlib.sha256()
    for k, v in sorted(model.state_dict().items()):
        h.update(k.encode())
        h.update(v.detach().to(torch.float32).contiguous().numpy().tobytes())
    return h.hexdigest()


def load_classifier(path: str | Path = SHIPPED) -> MNISTClassifier:
    """Load the frozen classifier from safetensors (no pickle), in eval mode, gradients off."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no classifier at {path}; train it with python -m gan_demo.mnist.classifier")
    model = MNISTClassifier()
    model.load_state_dict({k: v.to(torch.float32) for k, v in load_file(str(path)).items()})
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return model


@torch.no_grad()
def predict(model: MNISTClassifier, x: torch.Tensor, batch: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    """Softmax probabilities (N, 10) and features (N, 128) of images in [-1, 1]."""
    probs, feats = [], []
    for i in range(0, x.shape[0], batch):
        f = model.features(x[i : i + batch].to(torch.float32))
        feats.append(f)
        probs.append(torch.softmax(model.head(f), dim=1))
    return torch.cat(probs), torch.cat(feats)


@torch.no_grad()
def accuracy(model: MNISTClassifier, x: torch.Tensor, y: torch.Tensor) -> float:
    probs, _ = predict(model, x)
    return float((probs.argmax(1) == y).float().mean())


def _shift(x: torch.Tensor, gen: torch.Generator, max_shift: int = 2) -> torch.Tensor:
    """Random translations by up to ``max_shift`` pixels (the only augmentation), background -1."""
    pad = F.pad(x, (max_shift,) * 4, value=-1.0)  # (N, 1, 32, 32)
    dx, dy = torch.randint(0, 2 * max_shift + 1, (2,), generator=gen).tolist()
    return pad[:, :, dy : dy + 28, dx : dx + 28]


def train_classifier(epochs: int = 15, batch: int = 64, lr: float = 1e-3, seed: int = 0,
                     verbose: bool = True) -> tuple[MNISTClassifier, dict]:
    """Train on the training split; returns the model (eval mode) and a JSON-friendly report."""
    split = load_split()
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = MNISTClassifier()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    n = split.train_y.shape[0]
    t0 = time.perf_counter()
    for ep in range(epochs):
        model.train()
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n, batch):
            idx = perm[i : i + batch]
            loss = F.cross_entropy(model(_shift(split.train_x[idx], gen)), split.train_y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
        model.eval()
        if verbose:
            acc = accuracy(model, split.held_x, split.held_y)
            print(f"epoch {ep + 1}/{epochs}: held-out accuracy {acc:.4f} ({time.perf_counter() - t0:.0f} s)")
    model.eval()
    report = {
        "held_out_accuracy": accuracy(model, split.held_x, split.held_y),
        "train_accuracy": accuracy(model, split.train_x, split.train_y),
        "data": split.info(),
        "epochs": epochs, "batch": batch, "lr": lr, "seed": seed,
        "train_seconds_cpu": round(time.perf_counter() - t0, 1),
        "torch_threads": torch.get_num_threads(),
    }
    return model, report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--out", type=Path, default=SHIPPED)
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    model, report = train_classifier(epochs=args.epochs, seed=args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(args.out))
    report["sha256"] = weights_sha256(model)
    given = argv if argv is not None else sys.argv[1:]
    report["command"] = shlex.join(["python", "-m", "gan_demo.mnist.classifier", *given])
    report["architecture"] = "conv16-3x3/pool2 -> conv32-3x3/pool2 -> fc128 (features) -> fc10"
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
