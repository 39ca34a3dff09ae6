#!/usr/bin/env python3
"""Diagnostic: how often each DICE round's training pairs agree with the toy task's hidden judge.

Usage: toy_pair_agreement.py CONFIG.json SEED DEMO_FOLDER
  CONFIG.json  the demo's settings (`dice demo --print-config`); its seeds are replaced by SEED
  DEMO_FOLDER  a `dice demo` output folder (or one seed-N folder of a sweep)

For every run (dice and the ablations) and round it prints, per pair source (generated,
offline), the number of pairs in the round's train.jsonl, the share whose chosen answer has the
higher judge score J (ToyTask.judgeScore), both sides' mean lengths in words, and the mean J gap.

The judge is re-derived here from the same formulas and the same SplitMix64 streams as
Sources/DICEKit/Toy/ToyTask.swift (hidden tables: stream 0x7079, Box–Muller rounded to Float;
target lengths: stream 0x4C454E). It is a diagnostic, not an oracle of the Swift code.
"""
import json
import math
import os
import struct
import sys

MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed, stream=None):
        if stream is None:
            self.state = seed & MASK
        else:
            mixer = SplitMix64((seed ^ ((stream * 0xD1B54A32D192ED03) & MASK)) & MASK)
            self.state = mixer.next() ^ stream

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def next_double(self):
        return (self.next() >> 11) * (1.0 / 9007199254740992.0)

    def next_gaussian(self):
        u1 = max(self.next_double(), 1e-300)
        u2 = self.next_double()
        value = math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)
        return struct.unpack("f", struct.pack("f", value))[0]


class ToyJudge:
    def __init__(self, c):
        self.c = c
        rng = SplitMix64(c["seed"], 0x7079)
        w = c["wordCount"]

        def table(rows):
            return [[0.0 if row == 0 or col == 0 else c["valueScale"] * rng.next_gaussian() for col in range(w + 1)]
                    for row in range(rows + 1)]

        self.topic = table(c["topicCount"])
        self.instruction = table(c["instructionCount"])
        target = c.get("lengthTarget")
        self.lengths = None
        if target:
            lengths = SplitMix64(c["seed"], 0x4C454E)
            choices = target["maxWords"] - target["minWords"] + 1
            self.lengths = [0 if t == 0 else target["minWords"] + lengths.next() % choices
                            for t in range(c["topicCount"] + 1)]
        self.tables = {}

    def table(self, prompt):
        key = tuple(prompt)
        if key not in self.tables:
            c, w = self.c, self.c["wordCount"]
            raw = [self.topic[prompt[0]][x] + sum(self.instruction[i - c["topicCount"]][x] for i in prompt[1:])
                   for x in range(1, w + 1)]
            logits = [c["sftSharpness"] * v for v in raw]
            top = max(logits)
            e = [math.exp(v - top) for v in logits]
            z = sum(e)
            centre = sum(p / z * v for p, v in zip(e, raw))
            ranked = sorted(range(1, w + 1), key=lambda x: (-raw[x - 1], x))
            self.tables[key] = ([0.0] + [v - centre for v in raw], set(ranked[: c["coverageWords"]]))
        return self.tables[key]

    def score(self, prompt, response):
        words = [t for t in response if t != 0]
        q, best = self.table(prompt)
        c, n = self.c, len(words)
        if self.lengths:
            l, t = self.lengths[prompt[0]], c["lengthTarget"]
            quality = (sum(q[x] for x in words[:l]) - t["shortfallPenalty"] * max(0, l - n)
                       - t["overrunPenalty"] * max(0, n - l)) / l
            covered = words[:l]
        else:
            quality = sum(q[x] for x in words) / n if n else 0.0
            covered = words
        return quality + c["coverageBonus"] * len(best & set(covered)) / len(best) + c["lengthBias"] * n


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    config = json.load(open(sys.argv[1]))
    task = config["task"]
    task["seed"] = int(sys.argv[2])
    judge = ToyJudge(task)
    for run in ["dice", "no_length_regularization", "gamma_0", "offline_only"]:
        for r in range(1, 10):
            path = os.path.join(sys.argv[3], "runs", run, f"round-{r}", "train.jsonl")
            if not os.path.exists(path):
                break
            stats = {}
            for line in open(path):
                pair = json.loads(line)
                prompt = pair["promptTokens"]
                chosen = judge.score(prompt, pair["chosenTokens"])
                rejected = judge.score(prompt, pair["rejectedTokens"])
                s = stats.setdefault(pair["source"], [0, 0, 0, 0, 0.0])
                s[0] += 1
                s[1] += chosen > rejected
                s[2] += len(pair["chosenTokens"]) - 1
                s[3] += len(pair["rejectedTokens"]) - 1
                s[4] += chosen - rejected
            print(f"{run} round {r}: " + "  ".join(
                f"{k}: {n} pairs, agree {a / n:.3f}, length chosen/rejected {lc / n:.2f}/{lr / n:.2f}, mean ΔJ {d / n:.3f}"
                for k, (n, a, lc, lr, d) in stats.items()))


if __name__ == "__main__":
    main()
