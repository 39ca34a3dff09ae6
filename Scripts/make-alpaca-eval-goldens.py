#!/usr/bin/env python3
"""Goldens for DICEKit's alpaca_eval annotations reader (Tests/Fixtures/alpaca-eval/).

Writes annotation files in alpaca_eval's annotations.json layout (pandas `to_json(orient="records")`,
as alpaca_eval saves them) and, for each, what alpaca_eval's own `metrics.get_winrate` reports.
Needs alpaca-eval==0.6.6 (PyPI), e.g. `python3 -m venv /tmp/ae-venv && /tmp/ae-venv/bin/pip install
alpaca-eval==0.6.6`, then `/tmp/ae-venv/bin/python Scripts/make-alpaca-eval-goldens.py`.

Cases (seeded, so the files are reproducible):
- discrete: preferences 1, 2, 1.5 and 0 (alpaca_eval's draw spellings) and some nulls (failed annotations);
- weighted: preferences anywhere in [1, 2] (weighted_alpaca_eval_gpt4_turbo), a few exact 1.5, and nulls;
- small: two records (the smallest file with a standard error).
Outputs mix ASCII, accented letters, CJK and emoji, so lengths in characters are not byte counts.
"""
import json
import math
import os
import random

import pandas as pd
from alpaca_eval.metrics import get_winrate

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "alpaca-eval")
WORDS = ["answer", "the", "café", "naïve", "数据", "模型", "🙂", "🚀", "step", "list", "because", "x = 1", "\n", "→"]


def text(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def records(rng, count, preference):
    out = []
    for i in range(count):
        out.append({
            "instruction": f"Instruction {i}: " + text(rng, 4),
            "output_1": text(rng, rng.randint(1, 16)),
            "generator_1": "baseline",
            "dataset": rng.choice(["helpful_base", "koala", "oasst", "selfinstruct", "vicuna"]),
            "output_2": text(rng, rng.randint(1, 24)),
            "generator_2": "model",
            "annotator": "script",
            "preference": preference(rng, i),
            "price_per_example": 0.0,
        })
    return out


def discrete(rng, i):
    r = rng.random()
    if r < 0.08:
        return None
    return rng.choice([1.0, 2.0, 2.0, 1.5, 0.0, 1.0, 2.0])


def weighted(rng, i):
    r = rng.random()
    if r < 0.05:
        return None
    if r < 0.1:
        return 1.5
    return 1 + rng.betavariate(0.7, 0.6)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = random.Random(20261207)
    cases = {
        "discrete": records(rng, 300, discrete),
        "weighted": records(rng, 400, weighted),
        "small": records(rng, 2, lambda r, i: [1.0, 2.0][i]),
    }
    for name, rows in cases.items():
        frame = pd.DataFrame.from_records(rows)
        path = os.path.join(OUT, f"{name}.annotations.json")
        frame.to_json(path, orient="records", indent=2)
        reread = pd.read_json(path)
        result = get_winrate(reread)
        golden = {k: (None if isinstance(v, float) and math.isnan(v) else float(v)) for k, v in result.items()}
        with open(os.path.join(OUT, f"{name}.winrate.json"), "w") as f:
            json.dump(golden, f, indent=2, sort_keys=True)
            f.write("\n")
        print(name, golden)


if __name__ == "__main__":
    main()
