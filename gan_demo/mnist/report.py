"""Print the Markdown table of the shipped checkpoints' metrics (``python -m gan_demo.mnist.report``)."""

from __future__ import annotations

import json

from .classifier import SHIPPED as CLASSIFIER
from .shipped import SHIPPED_DIR, list_shipped


def table() -> str:
    rows = ["| checkpoint | data | algorithm | it. | classes covered (≥1 / ≥20 %·N/K) | class histogram | "
            "KL(p̂‖U) | FID | KID | real floor FID / KID | CPU s | MB |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name in list_shipped():
        meta = json.loads((SHIPPED_DIR / f"{name}.json").read_text())
        m = meta["metrics"]
        per = m["per_seed"][0]
        a = meta["algorithm"]
        hp = ", ".join(f"{k}={v}" for k, v in a.items() if k not in ("name", "lr_x", "lr_y") and v is not None)
        data = "0-1 MNIST" if meta["digits"] == [0, 1] else "MNIST"
        hist = " ".join(f"{v:.2f}" for v in per["class_hist"])
        size = ((SHIPPED_DIR / f"{name}.safetensors").stat().st_size + (SHIPPED_DIR / f"{name}.json").stat().st_size)
        f = m["real_floor"]
        rows.append(f"| `{name}` | {data}, N={m['n_samples']} | {a['name']} ({hp}) | {meta['step']} | "
                    f"{per['classes_covered']} / {per['classes_well_covered']} | {hist} | {per['rev_kl']:.3f} | "
                    f"{per['fid']:.1f} | {per['kid']:.2f} | {f['fid']:.2f} / {f['kid']:.2f} | "
                    f"{meta['train_seconds']:.0f} | {size / 2**20:.1f} |")
    clf = json.loads(CLASSIFIER.with_suffix(".json").read_text())
    rows.append("")
    rows.append(f"Classifier: held-out accuracy {clf['held_out_accuracy']:.4f} on the 2k split, "
                f"{clf['train_seconds_cpu']:.0f} s CPU, {CLASSIFIER.stat().st_size / 2**20:.2f} MB.")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
