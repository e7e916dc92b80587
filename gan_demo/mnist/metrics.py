"""MNIST sample-quality metrics on the frozen classifier.

* ``class_hist`` p̂ over the evaluated digits (argmax restricted to them), ``classes_covered``
  (>= 1 sample, the literature's count) and ``classes_well_covered`` (>= 0.2 N/K, strict).
* ``rev_kl`` = KL(p̂ || uniform) and ``rev_kl_true`` = KL(p̂ || training class frequencies),
  with 0 log 0 = 0; ``label_entropy``, ``label_tv`` (LA-GAN definitions); ``hq_frac`` = fraction
  with max softmax >= 0.9 (ours).
* ``fid`` / ``kid`` on the classifier's 128-d features against the training split's statistics.
  Values on these features are **not** comparable with Inception FIDs; always read them next to
  the real-versus-real floor (the held-out split against the same statistics, same N).
* ``mean_top_prob``: the mean over samples of the classifier's top softmax probability (over all
  ten classes): how confidently the samples read as digits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .classifier import MNISTClassifier, predict


def fid_from_stats(mu1: torch.Tensor, cov1: torch.Tensor, mu2: torch.Tensor, cov2: torch.Tensor) -> float:
    """Fréchet distance |mu1 - mu2|² + Tr(S1 + S2 - 2 (S1 S2)^½) in float64.

    Tr (S1 S2)^½ = Tr (S1^½ S2 S1^½)^½, and the inner matrix is symmetric PSD, so one ``eigh`` of
    each suffices (no complex ``sqrtm``).
    """
    mu1, cov1, mu2, cov2 = (t.to(torch.float64) for t in (mu1, cov1, mu2, cov2))
    w, v = torch.linalg.eigh(cov1)
    s1 = (v * w.clamp_min(0).sqrt()) @ v.T  # S1^½
    inner = torch.linalg.eigvalsh(s1 @ cov2 @ s1).clamp_min(0)
    return float((mu1 - mu2).square().sum() + cov1.trace() + cov2.trace() - 2 * inner.sqrt().sum())


def stats(feats: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (d,) and covariance (d, d) of features (N, d), float64."""
    f = feats.to(torch.float64)
    return f.mean(0), torch.cov(f.T)


def kid(a: torch.Tensor, b: torch.Tensor, max_n: int = 2000) -> float:
    """Unbiased MMD² with the cubic kernel k(u, v) = (u·v/d + 1)³ (Bińkowski et al. 2018).

    Uses at most ``max_n`` rows of each set (first rows: callers pass shuffled or i.i.d. sets).
    """
    a, b = a[:max_n].to(torch.float64), b[:max_n].to(torch.float64)
    d = a.shape[1]
    kaa, kbb, kab = ((a @ a.T / d + 1) ** 3, (b @ b.T / d + 1) ** 3, (a @ b.T / d + 1) ** 3)
    m, n = a.shape[0], b.shape[0]
    saa = (kaa.sum() - kaa.diagonal().sum()) / (m * (m - 1))
    sbb = (kbb.sum() - kbb.diagonal().sum()) / (n * (n - 1))
    return float(saa + sbb - 2 * kab.mean())


@dataclass
class Reference:
    """Real statistics for one digit set: training features (for FID/KID) and class frequencies."""

    digits: tuple[int, ...]
    mu: torch.Tensor
    cov: torch.Tensor
    train_feats: torch.Tensor  # (N_train, 128), for KID
    freqs: torch.Tensor  # (K,) training class frequencies
    held_x: torch.Tensor  # held-out images of these digits, for the real-vs-real floor


def make_reference(model: MNISTClassifier, train_x: torch.Tensor, train_y: torch.Tensor,
                   held_x: torch.Tensor, digits: tuple[int, ...]) -> Reference:
    _, feats = predict(model, train_x)
    mu, cov = stats(feats)
    counts = torch.stack([(train_y == d).sum() for d in digits]).to(torch.float64)
    g = torch.Generator().manual_seed(0)
    perm = torch.randperm(feats.shape[0], generator=g)
    return Reference(digits, mu, cov, feats[perm], counts / counts.sum(), held_x)


def class_metrics(probs: torch.Tensor, digits: tuple[int, ...], freqs: torch.Tensor | None = None) -> dict:
    """Histogram metrics from softmax outputs (N, 10), restricted to ``digits``."""
    k = len(digits)
    sub = probs[:, list(digits)]  # (N, K)
    pred = sub.argmax(1)
    n = pred.shape[0]
    counts = torch.bincount(pred, minlength=k).to(torch.float64)
    p = counts / n
    nz = p > 0
    uniform = torch.full_like(p, 1.0 / k)
    rev_kl = float((p[nz] * (p[nz] / uniform[nz]).log()).sum())
    out = {
        "n": n,
        "digits": list(digits),
        "class_hist": [round(float(v), 5) for v in p],
        "classes_covered": int((counts >= 1).sum()),
        "classes_well_covered": int((counts >= 0.2 * n / k).sum()),
        "rev_kl": rev_kl,
        "label_entropy": float(-(p[nz] * p[nz].log()).sum()),
        "label_tv": float(0.5 * (p - uniform).abs().sum()),
        "hq_frac": float((probs.max(1).values >= 0.9).to(torch.float64).mean()),
        "mean_top_prob": float(probs.max(1).values.to(torch.float64).mean()),
    }
    if freqs is not None:
        out["rev_kl_true"] = float((p[nz] * (p[nz] / freqs.to(p)[nz]).log()).sum())
    return out


def evaluate_images(model: MNISTClassifier, images: torch.Tensor, ref: Reference) -> dict:
    """All metrics of a set of images (N, 784) or (N, 1, 28, 28) in [-1, 1]."""
    probs, feats = predict(model, images)
    out = class_metrics(probs, ref.digits, ref.freqs)
    mu, cov = stats(feats)
    out["fid"] = fid_from_stats(mu, cov, ref.mu, ref.cov)
    out["kid"] = kid(feats, ref.train_feats, max_n=feats.shape[0])
    out["fid_n"] = int(feats.shape[0])
    return out


def real_floor(model: MNISTClassifier, ref: Reference) -> dict:
    """The metrics of the held-out real images: what a perfect generator would score at this N."""
    return evaluate_images(model, ref.held_x, ref)


def fraction_of(probs: torch.Tensor, digit: int, digits: tuple[int, ...]) -> float:
    """Share of samples whose argmax over ``digits`` is ``digit`` (e.g. the fraction of 1s)."""
    pred = torch.tensor(digits)[probs[:, list(digits)].argmax(1)]
    return float((pred == digit).to(torch.float64).mean())


def finite_or_none(v: float) -> float | None:
    return v if math.isfinite(v) else None
