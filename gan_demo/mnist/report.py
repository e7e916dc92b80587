"""Print the Markdown table of the shipped checkpoints' metrics (``python -m gan_demo.mnist.report``)."""

from __future__ import annotations

import json

from .classifier import SHIPPED as CLASSIFIER
from .shipped import SHIPPED_DIR, list_shipped


def digit_switches(ones: list[float], share: float = 0.9) -> int:
    """Changes of the dominant digit, counting only evaluations where it holds >= ``share``."""
    dom = [1 if v >= share else 0 for v in ones if v >= share or v <= 1 - share]
    return sum(a != b for a, b in zip(dom, dom[1:]))


def table() -> str:
    rows = ["| checkpoint | data | algorithm | it. | classes covered (≥1 / ≥20 %·N/K) | class histogram | "
            "KL(p̂‖U) | HQ (max softmax ≥ 0.9) | FID | KID | real floor FID / KID | training wall s | MB |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
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
                    f"{per['hq_frac']:.2f} | "
                    f"{per['fid']:.1f} | {per['kid']:.2f} | {f['fid']:.2f} / {f['kid']:.2f} | "
                    f"{meta['train_seconds']:.0f} | {size / 2**20:.1f} |")
    zero_one = [n for n in list_shipped() if json.loads((SHIPPED_DIR / f"{n}.json").read_text())["digits"] == [0, 1]]
    if zero_one:
        rows += ["", "| checkpoint | fraction of 1s at it. 1000 | both digits at it. 1000 (min share ≥ 0.10) | "
                 "digit switches (share ≥ 0.9) | iterations with both digits ≥ 0.10 |", "|---|---|---|---|---|"]
        for name in zero_one:
            h = json.loads((SHIPPED_DIR / f"{name}.json").read_text())["history"]
            ones = {s: c[0][1] for s, c in zip(h["eval_steps"], h["class_hist"])}
            f1000 = ones.get(1000)
            both = sum(min(v, 1 - v) >= 0.10 for v in ones.values()) / len(ones)
            rows.append(f"| `{name}` | {f1000:.2f} | {'yes' if min(f1000, 1 - f1000) >= 0.10 else 'no'} | "
                        f"{digit_switches(list(ones.values()))} | {100 * both:.0f} % |")
    clf = json.loads(CLASSIFIER.with_suffix(".json").read_text())
    rows.append("")
    rows.append(f"Classifier: held-out accuracy {clf['held_out_accuracy']:.4f} on the 2k split, "
                f"{clf['train_seconds_cpu']:.0f} s CPU, {CLASSIFIER.stat().st_size / 2**20:.2f} MB.")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
