"""SLTT against BPTT on the digits: the main example's network trained with each scan policy.

SLTT (``policy="sltt"``) cuts the gradient of the state carried between steps,
so it keeps nothing per step; this measures what that costs in test accuracy
on the task of ``train_digits.py``, per spike encoding and sequence length,
over several seeds (everything else as in ``train_digits.py``).

    python examples/sltt_accuracy.py --out examples    # sltt_accuracy.json, SLTT.md
    python examples/sltt_accuracy.py --from-json examples/sltt_accuracy.json --out DIR
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import jax

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _digits, train_digits
import _digits as digits  # noqa: E402
import train_digits  # noqa: E402

POLICIES = ("full", "sltt")


def parser() -> argparse.ArgumentParser:
    ap = digits.parser(__doc__.splitlines()[0])
    ap.epilog = ("--seed, --steps, --encoding and --policy are set for each run from "
                 "--seeds, --lengths, --encodings and both policies.")
    ap.add_argument("--seeds", type=digits.whole_number, default=5,
                    help="networks per policy, encoding and length (seeds 0..N-1)")
    ap.add_argument("--encodings", type=digits.list_of(digits.one_of(digits.ENCODINGS)),
                    default=",".join(digits.ENCODINGS),
                    help="spike encodings, comma-separated")
    ap.add_argument("--lengths", type=digits.list_of(digits.whole_number), default="16,64",
                    help="time steps per digit, comma-separated")
    ap.add_argument("--from-json", type=Path,
                    help="write SLTT.md from this JSON, training nothing")
    return ap


def measure(args: argparse.Namespace) -> dict[str, Any]:
    data = digits.load_digits(args.limit)
    runs = []
    for encoding in args.encodings:
        for steps in args.lengths:
            for policy in POLICIES:
                for seed in range(args.seeds):
                    run = argparse.Namespace(**{**vars(args), "encoding": encoding,
                                                "steps": steps, "policy": policy,
                                                "seed": seed, "out": None})
                    metrics = train_digits.train(run, data, args.surrogate, args.alpha)
                    runs.append(dict(encoding=encoding, steps=steps, policy=policy, seed=seed,
                                     test_accuracy=metrics["test_accuracy"],
                                     train_seconds=metrics["train_seconds"]))
                    print(f"{encoding} T={steps} {policy} seed {seed}: "
                          f"{metrics['test_accuracy']:.4f}", flush=True)
    return dict(runs=runs, surrogate=args.surrogate, epochs=args.epochs,
                hidden=args.hidden, limit=args.limit,
                machine=f"{platform.machine()}, Python {platform.python_version()}, "
                        f"jax {jax.__version__}")


def markdown(result: dict[str, Any]) -> str:
    def accuracies(encoding, steps, policy):
        return [r["test_accuracy"] for r in result["runs"]
                if (r["encoding"], r["steps"], r["policy"]) == (encoding, steps, policy)]

    def cell(values):
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        return f"{statistics.mean(values):.3f} ± {spread:.3f}"

    cases = list(dict.fromkeys((r["encoding"], r["steps"]) for r in result["runs"]))
    seeds = len(accuracies(*cases[0], POLICIES[0]))
    lines = [
        "# SLTT against BPTT on the digits",
        "",
        f"Written by `python examples/sltt_accuracy.py --out examples` ({result['machine']}). "
        f"Test accuracy of `train_digits.py`'s network ({result['surrogate']}, "
        f"{result['hidden']} hidden LIF neurons, {result['epochs']} epochs), mean ± std over "
        f"{seeds} seeds, trained with the hidden layer's scan under each policy: `full` is "
        "BPTT, `sltt` cuts the gradient of the state carried between steps.",
        "",
        "| encoding | T | full (BPTT) | sltt | sltt - full |",
        "|---|---|---|---|---|",
    ]
    for encoding, steps in cases:
        full, sltt = (accuracies(encoding, steps, p) for p in POLICIES)
        lines.append(f"| {encoding} | {steps} | {cell(full)} | {cell(sltt)} | "
                     f"{statistics.mean(sltt) - statistics.mean(full):+.3f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    start = time.perf_counter()
    if args.from_json:
        result = json.loads(args.from_json.read_text())
    else:
        digits.resolve_surrogate(args.surrogate, args.alpha)  # fails fast
        result = measure(args)
    table = markdown(result)
    print(table)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        if not args.from_json:
            (args.out / "sltt_accuracy.json").write_text(json.dumps(result, indent=1) + "\n")
        (args.out / "SLTT.md").write_text(table)
    print(f"total wall time {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
