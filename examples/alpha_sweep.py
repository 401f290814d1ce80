"""Sweep the surrogate's width over four decades: fixed, adaptive, Dspike, annealed.

Trains the digits LIF network of ``train_digits.py`` (same data, encoding,
Norse LIF/LI layers from ``_digits``, Adam) for every alpha of ``--alphas``,
with one hidden layer and with ``--layers`` deeper stacks, from two
initializations (``--inits``: ``fluctuation``, ``js.init.layerwise``'s
fluctuation-driven weights; ``calibrated``, the same with each layer's spread
measured on the data, ``calibrate=True``; and ``lecun``, Flax's default), five
ways:

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
    python examples/alpha_sweep.py --alphas 1,100 --layers 1 --seeds 1 --epochs 1 --inits lecun
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
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
# The sweep's default: the methods the width goal is about, and Dspike.
DEFAULT_METHODS = ("fixed", "adaptive-ds_atgo", "adaptive-two_std", "dspike")
INITS = ("fluctuation", "calibrated", "lecun")
LINE_STYLES = {"fluctuation": "-", "calibrated": ":", "lecun": "--"}
# The least best accuracy of a line that trains at all (chance is 0.1).
TRAINS = 0.5
ADAPTIVE = {"adaptive-ds_atgo": "ds_atgo", "adaptive-two_std": "two_std"}
# annealed: alpha * factor(step), the factor rising from 1/10 to 1.
ANNEAL_FROM = 0.1


def spike_of(method: str) -> Any:
    if method in ADAPTIVE:
        return js.adaptive(js.superspike, rule=ADAPTIVE[method])
    return js.dspike if method == "dspike" else js.superspike


def init_params(key: jax.Array, layers: int, hidden: int, init: str,
                images: jax.Array, args: argparse.Namespace) -> list[dict[str, jax.Array]]:
    """64 -> hidden x layers -> 10 with zero biases: Lecun-normal weights (Flax's
    default) or, for ``init="fluctuation"``, hidden weights from ``js.init.layerwise``
    on the rate-coded ``images`` (``"calibrated"``: with ``calibrate=True``; the
    readout stays Lecun-normal: it does not spike)."""
    sizes = [digits.N_INPUTS] + [hidden] * layers + [digits.N_CLASSES]
    k_lecun, k_fluct, k_encode = jax.random.split(key, 3)
    lecun = jax.nn.initializers.lecun_normal()
    weights = [lecun(k, (n_in, n_out), jnp.float32) for k, n_in, n_out in
               zip(jax.random.split(k_lecun, len(sizes) - 1), sizes[:-1], sizes[1:])]
    if init in ("fluctuation", "calibrated"):
        spikes = digits.encode(images, args.steps, k_encode, "rate")
        weights[:-1] = js.init.layerwise(k_fluct, spikes, [hidden] * layers,
                                         mu_u=args.init_mu_u, xi=args.init_xi,
                                         calibrate=init == "calibrated")[0]
    return [{"w": w, "b": jnp.zeros(w.shape[1], jnp.float32)} for w in weights]


def start_statistics(params, images, key, steps) -> list[dict[str, float]]:
    """Each hidden layer's ``js.layer_statistics`` on ``images`` before training."""
    spikes = digits.encode(images, steps, key, "rate")
    out = []
    for layer in params[:-1]:
        rest = jnp.zeros((*spikes.shape[1:-1], layer["w"].shape[1]), jnp.float32)
        spikes, _, v = js.neurons.lif_feed_forward_scan(
            spikes @ layer["w"] + layer["b"], js.neurons.LIFFeedForwardState(rest, rest),
            potentials=True)
        out.append(js.layer_statistics(v, spikes, dt=1e-3)._asdict())
    return out


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


def train(method: str, layers: int, init: str, seed: int, alphas: np.ndarray,
          data: digits.Digits, args: argparse.Namespace) -> dict[str, Any]:
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
    params = init_params(jax.random.key(seed), layers, args.hidden, init,
                         data.x_train[:digits.INIT_DIGITS], args)
    at_start = start_statistics(params, data.x_test, jax.random.key(seed + 1), args.steps)
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
    return {"method": method, "layers": layers, "init": init, "seed": seed,
            "alphas": list(map(float, alphas)), "start_statistics": at_start,
            "test_accuracy": np.asarray(accuracy).tolist(),
            "window_fraction": np.asarray(windows).tolist(),  # (alphas, hidden layers)
            "final_train_loss": losses[-n_batches:].mean(0).tolist(),
            "finite": bool(np.isfinite(losses).all()),
            "seconds": time.perf_counter() - start,
            "compilations": step_fn._cache_size()}


def _line_key(method: str, layers: int, init: str) -> str:
    return f"{method}/{layers}/{init}"


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean accuracy over seeds per (method, depth, init, alpha); spread and best per line."""
    lines: dict[str, Any] = {}
    for run in runs:
        init = run.get("init", "lecun")  # sweeps before js.init had Lecun-normal weights only
        line = lines.setdefault(_line_key(run["method"], run["layers"], init), {
            "method": run["method"], "layers": run["layers"], "init": init,
            "alphas": run["alphas"], "per_seed": []})
        line["per_seed"].append(run["test_accuracy"])
        line.setdefault("window_per_seed", []).append(run["window_fraction"])
        if "start_statistics" in run:
            line.setdefault("start_rates", []).append(
                [s["rate"] for s in run["start_statistics"]])
    for line in lines.values():
        # the last hidden layer's window fraction after training, mean over seeds
        line["window_last_layer"] = np.asarray(line.pop("window_per_seed"))[..., -1].mean(0).tolist()
        if "start_rates" in line:  # each hidden layer's rate (Hz) before training
            line["start_rates"] = np.asarray(line["start_rates"]).mean(0).tolist()
        acc = np.asarray(line["per_seed"])
        line["mean"] = acc.mean(0).tolist()
        line["min"], line["max"] = acc.min(0).tolist(), acc.max(0).tolist()
        line["spread"] = float(acc.mean(0).max() - acc.mean(0).min())
        line["best"] = float(acc.mean(0).max())
    # The width goal: an adaptive line's spread at most a third of the fixed
    # line's (same depth and init), at an equal or better best accuracy; a
    # line that never trains (best below TRAINS; chance is 0.1) meets nothing.
    goal = []
    for line in lines.values():
        fixed = lines.get(_line_key("fixed", line["layers"], line["init"]))
        if line["method"] in ADAPTIVE and fixed:
            goal.append({"method": line["method"], "layers": line["layers"],
                         "init": line["init"], "spread": line["spread"],
                         "fixed_spread": fixed["spread"], "best": line["best"],
                         "fixed_best": fixed["best"],
                         "met": (line["spread"] <= fixed["spread"] / 3
                                 and line["best"] >= fixed["best"]
                                 and line["best"] >= TRAINS)})
    # The depth goal (js.init's weights, deeper than one layer): best >= 0.97
    # and no alpha in 1..1000 below 0.90.
    depth_goal = []
    for line in lines.values():
        if line["init"] != "lecun" and line["layers"] > 1:
            inside = [m for a, m in zip(line["alphas"], line["mean"]) if 1 <= a <= 1000]
            depth_goal.append({"method": line["method"], "layers": line["layers"],
                               "init": line["init"], "best": line["best"], "worst_1_1000": min(inside, default=None),
                               "met": bool(inside) and line["best"] >= 0.97
                               and min(inside) >= 0.90})
    return {"lines": lines, "goal": goal, "depth_goal": depth_goal}


def _sorted(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(lines, key=lambda l: (l["layers"], INITS.index(l["init"]),
                                        METHODS.index(l["method"])))


def markdown(summary: dict[str, Any], settings: dict[str, Any]) -> str:
    """The tables: mean test accuracy over seeds, one row per method, depth and init."""
    lines = _sorted(list(summary["lines"].values()))
    alphas = lines[0]["alphas"]
    head = "| method | hidden layers | init | " + " | ".join(f"α={a:g}" for a in alphas)
    out = [head + " | spread | best |", "|---|---:|---|" + "---:|" * (len(alphas) + 2)]
    for line in lines:
        cells = " | ".join(f"{m:.3f}" for m in line["mean"])
        out.append(f"| {line['method']} | {line['layers']} | {line['init']} | {cells} "
                   f"| {line['spread']:.3f} | {line['best']:.3f} |")
    out += ["", "Window fraction of the last hidden layer after training (test digits, all "
            "time steps; mean over seeds):", "",
            "| method | hidden layers | init | " + " | ".join(f"α={a:g}" for a in alphas) + " |",
            "|---|---:|---|" + "---:|" * len(alphas)]
    for line in lines:
        cells = " | ".join(f"{w:.2f}" for w in line["window_last_layer"])
        out.append(f"| {line['method']} | {line['layers']} | {line['init']} | {cells} |")
    starts = {(l["layers"], l["init"]): l["start_rates"] for l in lines if "start_rates" in l}
    if starts:
        out += ["", "Firing rate (Hz) of each hidden layer before training (test digits; "
                "mean over seeds):", "", "| hidden layers | init | rate per layer, first to last |",
                "|---:|---|---|"]
        for (layers, init), rates in starts.items():
            out.append(f"| {layers} | {init} | {' '.join(f'{r:.1f}' for r in rates)} |")
    out.append("")
    for g in summary["goal"]:
        verdict = "met" if g["met"] else "not met"
        out.append(f"- width, {g['method']}, {g['layers']} hidden layer(s), {g['init']} init: "
                   f"spread {g['spread']:.3f} vs fixed {g['fixed_spread']:.3f} (goal: at most a "
                   f"third, {g['fixed_spread'] / 3:.3f}); best {g['best']:.3f} vs fixed "
                   f"{g['fixed_best']:.3f}: goal {verdict}.")
    for g in summary.get("depth_goal", []):
        verdict = "met" if g["met"] else "not met"
        worst = "none" if g["worst_1_1000"] is None else f"{g['worst_1_1000']:.3f}"
        out.append(f"- depth, {g['method']}, {g['layers']} hidden layers, "
                   f"{g.get('init', 'fluctuation')} init: best "
                   f"{g['best']:.3f} (goal >= 0.97), lowest for alpha in 1..1000 {worst} "
                   f"(goal >= 0.90): goal {verdict}.")
    out.append("")
    out.append("Settings: " + ", ".join(f"{k} {v}" for k, v in settings.items()) + ".")
    return "\n".join(out) + "\n"


def plot(summary: dict[str, Any], path: Path) -> None:
    """Accuracy vs alpha (log axis), one line per method and init (dashed: Lecun),
    one panel per depth; below, each hidden layer's firing rate before training."""
    from matplotlib.figure import Figure

    lines = list(summary["lines"].values())
    depths = sorted({line["layers"] for line in lines})
    rates = any("start_rates" in line for line in lines)
    fig = Figure(figsize=(5.5 * len(depths), 4.4 + 3.0 * rates))
    axes = fig.subplots(1 + rates, len(depths), squeeze=False)
    for ax, layers in zip(axes[0], depths):
        for line in _sorted([l for l in lines if l["layers"] == layers]):
            i, init = METHODS.index(line["method"]), line["init"]
            label = line["method"] + ("" if init == "fluctuation" else f" ({init} init)")
            ax.plot(line["alphas"], line["mean"], marker="o", color=f"C{i}", label=label,
                    linestyle=LINE_STYLES[init], alpha=0.6 if init == "lecun" else 1.0)
            ax.fill_between(line["alphas"], line["min"], line["max"], color=f"C{i}",
                            alpha=0.15 if init == "fluctuation" else 0.05)
        ax.set(xscale="log", ylim=(0, 1), xlabel="alpha", ylabel="test accuracy",
               title=f"{layers} hidden LIF layer{'s' if layers > 1 else ''}")
        ax.grid(alpha=0.3)
    for ax, layers in zip(axes[1] if rates else [], depths):
        ax.set_ylim(bottom=0)
        for init, style in LINE_STYLES.items():
            line = next((l for l in lines if l["layers"] == layers and l["init"] == init
                         and "start_rates" in l), None)
            if line is not None:
                ax.plot(range(1, layers + 1), line["start_rates"], marker="s", color="k",
                        linestyle=style, label=f"{init} init")
        ax.set(xlabel="hidden layer", ylabel="rate before training (Hz)",
               xticks=range(1, layers + 1))
        ax.legend(frameon=False, fontsize=8)
        ax.grid(alpha=0.3)
    handles, labels = [], []
    for ax in axes[0]:
        for h, l in zip(*ax.get_legend_handles_labels()):
            if l not in labels:
                handles.append(h)
                labels.append(l)
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 5), frameon=False)
    fig.suptitle("digits SNN: test accuracy vs surrogate alpha (mean over seeds; band: "
                 "min to max)", fontsize=10)
    fig.tight_layout(rect=(0, 0.06 + 0.03 * (len(labels) > 5), 1, 1))
    fig.savefig(path, dpi=100)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--alphas", type=digits.list_of(digits.positive_number),
                    default=",".join(f"{a:g}" for a in ALPHAS),
                    help="comma-separated alphas, each finite and > 0")
    ap.add_argument("--methods", type=digits.list_of(digits.one_of(METHODS)),
                    default=",".join(DEFAULT_METHODS),
                    help=f"comma-separated, from {', '.join(METHODS)}")
    ap.add_argument("--layers", type=digits.list_of(digits.whole_number), default="1,4,8",
                    help="hidden-layer counts to sweep, each >= 1")
    ap.add_argument("--inits", type=digits.list_of(digits.one_of(INITS)), default=",".join(INITS),
                    help=f"comma-separated initializations, from {', '.join(INITS)}")
    ap.add_argument("--init-mu-u", type=float, default=0.0,
                    help="fluctuation init: the target mean potential (threshold 1)")
    ap.add_argument("--init-xi", type=digits.positive_number, default=1.0,
                    help="fluctuation init: the threshold's distance from the mean, in stds")
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
    methods, inits = args.methods, args.inits
    depths = args.layers
    data = digits.load_digits(args.limit)
    start = time.perf_counter()
    runs = []
    for layers in depths:
        for init in inits:
            for method in methods:
                for seed in range(args.seeds):
                    run = train(method, layers, init, seed, alphas, data, args)
                    runs.append(run)
                    print(f"{method:9s} layers {layers} {init} seed {seed}: "
                          + " ".join(f"{a:.2f}" for a in run["test_accuracy"])
                          + f"  ({run['seconds']:.0f} s)", flush=True)
    settings = {"fluctuation init": f"mu_u {args.init_mu_u:g}, xi {args.init_xi:g}",
                "epochs": args.epochs, "time steps": args.steps, "hidden": args.hidden,
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
