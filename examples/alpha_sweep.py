"""Sweep the surrogate's width over four decades: fixed, adaptive, Dspike, annealed.

Trains the digits LIF network of ``train_digits.py`` (same data, encoding,
Norse LIF/LI layers from ``_digits``, Adam) for every alpha of ``--alphas``,
with one hidden layer and with ``--layers`` deeper stacks, five ways:

* ``fixed``: SuperSpike (Norse's ``super``) with that alpha throughout;
* ``adaptive-ds_atgo``, ``adaptive-two_std``:
  ``js.adaptive(js.superspike, rule=...)``, alpha as the scale the rule's
  width stretches (the width from each layer's std at each time step);
* ``dspike``: ``js.dspike`` with that alpha as its temperature;
* ``annealed``: SuperSpike with alpha rising along a cosine from alpha/10 to
  alpha over the run (an optax schedule inside the jitted step).

Alpha is a traced operand: one compiled, ``vmap``-ed train step trains the
networks of every alpha at once, one compilation per method and depth.
Writes ``sweep.json``, ``sweep.md`` and ``sweep.png`` into ``--out``.

    python examples/alpha_sweep.py --out runs/alpha_sweep           # the full sweep
    python examples/alpha_sweep.py --alphas 1,100 --layers 1 --seeds 1 --epochs 1
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

import jaxsurrogate as js

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _digits
import _digits as digits  # noqa: E402

ALPHAS = (0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000, 3000)
METHODS = ("fixed", "adaptive-ds_atgo", "adaptive-two_std", "dspike", "annealed")
ADAPTIVE = {"adaptive-ds_atgo": "ds_atgo", "adaptive-two_std": "two_std"}
# annealed: alpha * factor(step), the factor rising from 1/10 to 1.
ANNEAL_FROM = 0.1


def spike_of(method: str) -> Any:
    if method in ADAPTIVE:
        return js.adaptive(js.superspike, rule=ADAPTIVE[method])
    return js.dspike if method == "dspike" else js.superspike


def init_params(key: jax.Array, layers: int, hidden: int) -> list[dict[str, jax.Array]]:
    """Lecun-normal weights, zero biases (Flax's defaults), 64 -> hidden x layers -> 10."""
    sizes = [digits.N_INPUTS] + [hidden] * layers + [digits.N_CLASSES]
    keys = jax.random.split(key, len(sizes) - 1)
    init = jax.nn.initializers.lecun_normal()
    return [{"w": init(k, (n_in, n_out), jnp.float32), "b": jnp.zeros(n_out, jnp.float32)}
            for k, n_in, n_out in zip(keys, sizes[:-1], sizes[1:])]


def forward(params, images, key, surrogate, alpha, steps, potentials=False):
    """Logits (B, 10); with ``potentials``, each hidden layer's v - v_th instead."""
    k_encode, *k_layers = jax.random.split(key, len(params))
    spikes = digits.encode(images, steps, k_encode, "rate")
    xs = []
    for layer, k in zip(params[:-1], k_layers):
        currents = spikes @ layer["w"] + layer["b"]
        if potentials:
            spikes, x = digits.lif_layer(currents, surrogate, k, alpha, potentials=True)
            xs.append(x)
        else:
            spikes = digits.lif_layer(currents, surrogate, k, alpha)
    if potentials:
        return xs
    readout = params[-1]
    return jnp.max(digits.li_layer(spikes @ readout["w"] + readout["b"]), axis=0)


def train(method: str, layers: int, seed: int, alphas: np.ndarray, data: digits.Digits,
          args: argparse.Namespace) -> dict[str, Any]:
    """Trains one network per alpha (vmapped); returns accuracies and windows per alpha."""
    spike = spike_of(method)
    surrogate = digits.Surrogate(method, None, False, spike)
    tx = optax.adam(args.lr)
    n_batches = len(data.y_train) // args.batch_size
    factor = optax.cosine_decay_schedule(ANNEAL_FROM, args.epochs * n_batches,
                                         alpha=1 / ANNEAL_FROM)

    def alpha_at(alpha, step):
        return alpha * factor(step) if method == "annealed" else alpha

    def one_step(params, opt_state, alpha, images, labels, key, step):
        def loss_fn(p):
            logits = forward(p, images, key, surrogate, alpha_at(alpha, step), args.steps)
            return digits.loss_and_accuracy(logits, labels)[0]

        loss, grads = jax.value_and_grad(loss_fn)(params)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    def one_eval(params, alpha, images, labels, key):
        logits = forward(params, images, key, surrogate, alpha, args.steps)
        xs = forward(params, images, key, surrogate, alpha, args.steps, potentials=True)
        # per time step (an adaptive width is one per step), then averaged
        windows = [jax.vmap(lambda xt: js.window_fraction(spike, xt, alpha).fraction)(x).mean()
                   for x in xs]
        return digits.loss_and_accuracy(logits, labels)[1], jnp.stack(windows)

    batch_axes = (0, 0, 0, None, None, None, None)
    step_fn = jax.jit(jax.vmap(one_step, in_axes=batch_axes))
    eval_fn = jax.jit(jax.vmap(one_eval, in_axes=(0, 0, None, None, None)))
    alpha_arr = jnp.asarray(alphas, jnp.float32)
    # The same initial weights and data order for every alpha: a paired comparison.
    params = init_params(jax.random.key(seed), layers, args.hidden)
    params = jax.tree.map(lambda a: jnp.broadcast_to(a, (len(alphas), *a.shape)), params)
    opt_state = jax.vmap(tx.init)(params)
    order, key = np.random.default_rng(seed), jax.random.key(seed)
    start = time.perf_counter()
    losses = []
    for _ in range(args.epochs):
        perm = order.permutation(len(data.y_train))
        for b in range(n_batches):
            idx = perm[b * args.batch_size:(b + 1) * args.batch_size]
            key, sub = jax.random.split(key)
            number = np.asarray(len(losses), np.int32)
            params, opt_state, loss = step_fn(params, opt_state, alpha_arr, data.x_train[idx],
                                              data.y_train[idx], sub, number)
            losses.append(loss)
    final_alpha = alpha_at(alpha_arr, args.epochs * n_batches - 1)
    accuracy, windows = eval_fn(params, final_alpha, data.x_test, data.y_test,
                                jax.random.key(seed + 1))
    losses = np.asarray(jax.device_get(losses))  # (steps, alphas)
    return {"method": method, "layers": layers, "seed": seed, "alphas": list(map(float, alphas)),
            "test_accuracy": np.asarray(accuracy).tolist(),
            "window_fraction": np.asarray(windows).tolist(),  # (alphas, hidden layers)
            "final_train_loss": losses[-n_batches:].mean(0).tolist(),
            "finite": bool(np.isfinite(losses).all()),
            "seconds": time.perf_counter() - start,
            "compilations": step_fn._cache_size()}


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean accuracy over seeds per (method, depth, alpha); spread and best per line."""
    lines: dict[str, Any] = {}
    for run in runs:
        line = lines.setdefault(f"{run['method']}/{run['layers']}", {
            "method": run["method"], "layers": run["layers"], "alphas": run["alphas"],
            "per_seed": []})
        line["per_seed"].append(run["test_accuracy"])
        line.setdefault("window_per_seed", []).append(run["window_fraction"])
    for line in lines.values():
        # the last hidden layer's window fraction after training, mean over seeds
        line["window_last_layer"] = np.asarray(line.pop("window_per_seed"))[..., -1].mean(0).tolist()
        acc = np.asarray(line["per_seed"])
        line["mean"] = acc.mean(0).tolist()
        line["min"], line["max"] = acc.min(0).tolist(), acc.max(0).tolist()
        line["spread"] = float(acc.mean(0).max() - acc.mean(0).min())
        line["best"] = float(acc.mean(0).max())
    # The goal: an adaptive line's spread at most a third of the fixed line's,
    # at an equal or better best accuracy.
    goal = []
    for line in lines.values():
        fixed = lines.get(f"fixed/{line['layers']}")
        if line["method"] in ADAPTIVE and fixed:
            goal.append({"method": line["method"], "layers": line["layers"],
                         "spread": line["spread"], "fixed_spread": fixed["spread"],
                         "best": line["best"], "fixed_best": fixed["best"],
                         "met": (line["spread"] <= fixed["spread"] / 3
                                 and line["best"] >= fixed["best"])})
    return {"lines": lines, "goal": goal}


def markdown(summary: dict[str, Any], settings: dict[str, Any]) -> str:
    """The table: mean test accuracy over seeds, one row per method and depth."""
    lines = list(summary["lines"].values())
    alphas = lines[0]["alphas"]
    head = "| method | hidden layers | " + " | ".join(f"α={a:g}" for a in alphas)
    out = [head + " | spread | best |", "|---|---:|" + "---:|" * (len(alphas) + 2)]
    for line in sorted(lines, key=lambda l: (l["layers"], METHODS.index(l["method"]))):
        cells = " | ".join(f"{m:.3f}" for m in line["mean"])
        out.append(f"| {line['method']} | {line['layers']} | {cells} | {line['spread']:.3f} "
                   f"| {line['best']:.3f} |")
    out += ["", "Window fraction of the last hidden layer after training (test digits, all "
            "time steps; mean over seeds):", "",
            "| method | hidden layers | " + " | ".join(f"α={a:g}" for a in alphas) + " |",
            "|---|---:|" + "---:|" * len(alphas)]
    for line in sorted(lines, key=lambda l: (l["layers"], METHODS.index(l["method"]))):
        cells = " | ".join(f"{w:.2f}" for w in line["window_last_layer"])
        out.append(f"| {line['method']} | {line['layers']} | {cells} |")
    out.append("")
    for g in summary["goal"]:
        verdict = "met" if g["met"] else "not met"
        out.append(f"- {g['method']}, {g['layers']} hidden layer(s): spread {g['spread']:.3f} "
                   f"vs fixed {g['fixed_spread']:.3f} (goal: at most a third, "
                   f"{g['fixed_spread'] / 3:.3f}); best {g['best']:.3f} vs fixed "
                   f"{g['fixed_best']:.3f}: goal {verdict}.")
    out.append("")
    out.append("Settings: " + ", ".join(f"{k} {v}" for k, v in settings.items()) + ".")
    return "\n".join(out) + "\n"


def plot(summary: dict[str, Any], path: Path) -> None:
    """Accuracy vs alpha (log axis), one line per method, one panel per depth."""
    from matplotlib.figure import Figure

    depths = sorted({line["layers"] for line in summary["lines"].values()})
    fig = Figure(figsize=(5.5 * len(depths), 4.4))
    axes = fig.subplots(1, len(depths), squeeze=False)[0]
    for ax, layers in zip(axes, depths):
        for i, method in enumerate(METHODS):
            line = summary["lines"].get(f"{method}/{layers}")
            if line is None:
                continue
            ax.plot(line["alphas"], line["mean"], marker="o", color=f"C{i}", label=method)
            ax.fill_between(line["alphas"], line["min"], line["max"], color=f"C{i}", alpha=0.15)
        ax.set(xscale="log", ylim=(0, 1), xlabel="alpha", ylabel="test accuracy",
               title=f"{layers} hidden LIF layer{'s' if layers > 1 else ''}")
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), frameon=False)
    fig.suptitle("digits SNN: test accuracy vs surrogate alpha (mean over seeds; band: "
                 "min to max)", fontsize=10)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path, dpi=100)


def _list_of(item: Callable[[str], Any]) -> Callable[[str], list[Any]]:
    """An argparse type: a comma-separated list, each entry of type ``item``."""
    def parse(text: str) -> list[Any]:
        values = [item(v) for v in text.split(",") if v.strip()]
        if not values:
            raise argparse.ArgumentTypeError(f"expected a comma-separated list, got {text!r}")
        return values
    parse.__name__ = f"list of {item.__name__}"
    return parse


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--alphas", type=_list_of(digits.positive_number),
                    default=",".join(f"{a:g}" for a in ALPHAS),
                    help="comma-separated alphas, each finite and > 0")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--layers", type=_list_of(digits.whole_number), default="1,4",
                    help="hidden-layer counts to sweep, each >= 1")
    ap.add_argument("--seeds", type=digits.whole_number, default=3)
    ap.add_argument("--epochs", type=digits.whole_number, default=10)
    ap.add_argument("--steps", type=digits.whole_number, default=16)
    ap.add_argument("--hidden", type=digits.whole_number, default=128)
    ap.add_argument("--batch-size", type=digits.whole_number, default=32)
    ap.add_argument("--lr", type=digits.positive_number, default=2e-3)
    ap.add_argument("--limit", type=digits.whole_number, default=None)
    ap.add_argument("--out", type=Path, default=Path("runs") / "alpha_sweep")
    ap.add_argument("--from-json", type=Path, default=None,
                    help="re-render the table and plot of an earlier sweep.json")
    args = ap.parse_args(argv)
    if args.from_json is not None:
        earlier = json.loads(args.from_json.read_text())
        write(args.out, earlier["runs"], earlier["settings"])
        return
    alphas = np.asarray(args.alphas)
    methods = args.methods.split(",")
    unknown = sorted(set(methods) - set(METHODS))
    if unknown:
        raise SystemExit(f"--methods: unknown {unknown}; choose from {', '.join(METHODS)}")
    depths = args.layers
    data = digits.load_digits(args.limit)
    start = time.perf_counter()
    runs = []
    for layers in depths:
        for method in methods:
            for seed in range(args.seeds):
                run = train(method, layers, seed, alphas, data, args)
                runs.append(run)
                print(f"{method:9s} layers {layers} seed {seed}: "
                      + " ".join(f"{a:.2f}" for a in run["test_accuracy"])
                      + f"  ({run['seconds']:.0f} s)", flush=True)
    settings = {"epochs": args.epochs, "time steps": args.steps, "hidden": args.hidden,
                "batch": args.batch_size, "lr": args.lr, "seeds": args.seeds,
                "train digits": len(data.y_train),
                "test digits": len(data.y_test),
                "wall time": f"{time.perf_counter() - start:.0f} s",
                "machine": f"{platform.machine()} CPU, {jax.device_count()} JAX device(s), "
                           f"jax {jax.__version__}"}
    write(args.out, runs, settings)


def write(out: Path, runs: list[dict[str, Any]], settings: dict[str, Any]) -> None:
    """sweep.json (runs, summary, goal), sweep.md and sweep.png into ``out``."""
    summary = summarise(runs)
    out.mkdir(parents=True, exist_ok=True)
    (out / "sweep.json").write_text(json.dumps(
        {"settings": settings, "runs": runs, **summary}, indent=1) + "\n")
    table = markdown(summary, settings)
    (out / "sweep.md").write_text(table)
    plot(summary, out / "sweep.png")
    print(table)
    print(f"wrote {out}/sweep.json, sweep.md, sweep.png")


if __name__ == "__main__":
    main()
