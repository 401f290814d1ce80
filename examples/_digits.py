"""Shared parts of the digits examples: data, spike encoding, the neurons, the loop.

The examples (Flax NNX, Haiku, Equinox, sharded pure JAX) differ only in how
they hold parameters and update them. Everything else lives here once: the
data split, the spike encoding, the leaky integrate-and-fire (LIF) and
leaky-integrator (LI) layers, built from ``jaxsurrogate.neurons`` (Norse's
steps) and unrolled with ``jax.lax.scan``, the loss, the training loop and the
outputs (plots in ``_plots``).

The network is feed-forward, so the weights are applied to all time steps at
once outside the scan (one big matmul instead of T small ones); the scans only
carry the neuron state. That also keeps framework modules out of the scan
bodies, which is why the same maths serves NNX, Haiku and plain arrays.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import jaxsurrogate as js
from jaxsurrogate import neurons

from _plots import plot_learning_curves, plot_raster  # examples/ is on sys.path

Array = jax.Array
Layer = Callable[[Array], Array]

F32 = jnp.float32
N_INPUTS, N_CLASSES = 64, 10
# The split is fixed, independent of --seed, so that runs with different
# seeds or surrogates are scored on the same test digits.
SPLIT_SEED = 0
TEST_FRACTION = 0.25


# --------------------------------------------------------------------------
# Data


@dataclasses.dataclass(frozen=True)
class Digits:
    """The digits split: images as float32 intensities in [0, 1], int32 labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load_digits(limit: int | None = None) -> Digits:
    """scikit-learn's bundled 8x8 digits, stratified 75/25 split.

    Args:
        limit: keep only this many images (a stratified subset), for quick
            tests; None keeps all 1,797.
    """
    from sklearn.datasets import load_digits as sk_load_digits
    from sklearn.model_selection import train_test_split

    images, labels = sk_load_digits(return_X_y=True)
    images = (images / 16.0).astype(np.float32)  # pixel values are 0..16
    labels = labels.astype(np.int32)
    if limit is not None and limit < len(labels):
        images, _, labels, _ = train_test_split(
            images, labels, train_size=limit, stratify=labels,
            random_state=SPLIT_SEED)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=TEST_FRACTION, stratify=labels,
        random_state=SPLIT_SEED)
    return Digits(x_train, y_train, x_test, y_test)


def encode(images: Array, steps: int, key: Array, kind: str) -> Array:
    """Spike trains of shape (steps, batch, 64) from intensities in [0, 1].

    ``rate``: each pixel spikes at every step with probability = intensity.
    ``latency``: each pixel brighter than 0.1 spikes once, brighter earlier.
    """
    images = images.astype(F32)
    if kind == "rate":
        shape = (steps, *images.shape)
        return jax.random.bernoulli(key, images, shape).astype(F32)
    if kind == "latency":
        t_fire = jnp.round((1.0 - images) * (steps - 1)).astype(jnp.int32)
        t = jnp.arange(steps, dtype=jnp.int32)[:, None, None]
        return ((t == t_fire) & (images > 0.1)).astype(F32)
    raise ValueError(f"unknown encoding {kind!r}; use 'rate' or 'latency'")


# --------------------------------------------------------------------------
# Surrogate


@dataclasses.dataclass(frozen=True)
class Surrogate:
    """A resolved ``--surrogate``/``--alpha`` pair."""

    name: str
    alpha: float | None
    stochastic: bool
    spike: Callable[..., Array]  # the jaxsurrogate spike function


def resolve_surrogate(name: str, alpha: float | None = None) -> Surrogate:
    """The spike function for a registry name, alias or preset.

    Args:
        name: anything :func:`jaxsurrogate.get` accepts.
        alpha: overrides the surrogate's default alpha; None keeps it.

    Raises:
        SystemExit: with the registry's message for an unknown name, or when
            alpha is given for a surrogate that has none.
    """
    try:
        fn = js.get(name)
    except js.UnknownSurrogateError as err:
        raise SystemExit(f"--surrogate: {err}") from None
    decl = fn.declaration
    if decl.alpha is None and alpha is not None:
        raise SystemExit(f"--alpha: {name} has no alpha parameter")
    a = None if decl.alpha is None else float(
        decl.alpha if alpha is None else alpha)
    return Surrogate(name, a, decl.stochastic, fn)


# --------------------------------------------------------------------------
# Layers: Norse's feed-forward LIF and LI steps (dt = 1 ms, its defaults)


INITS = ("fluctuation", "lecun")
# js.init's input rate is measured on this many encoded training digits.
INIT_DIGITS = 256


def hidden_init(args: argparse.Namespace, data: Digits, *, in_axis: int = -2,
                out_axis: int = -1) -> Callable[..., Array]:
    """The hidden layer's weight initializer of ``--init``.

    ``fluctuation``: ``js.init.fluctuation_driven`` for Norse's LIF neurons
    (dt = 1 ms) driven at the rate the encoded training digits fire, the
    targets (mean 0, threshold one std above) holding on average over the
    ``--steps`` window from rest; ``lecun``: ``jax.nn.initializers.lecun_normal``.
    """
    if args.init == "lecun":
        return jax.nn.initializers.lecun_normal(in_axis=in_axis, out_axis=out_axis)
    spikes = encode(data.x_train[:INIT_DIGITS], args.steps, jax.random.key(args.seed),
                    args.encoding)
    return js.init.fluctuation_driven(neurons.LIFParameters(), rate=js.init.firing_rate(spikes),
                                      window=args.steps, in_axis=in_axis, out_axis=out_axis)


def lif_layer(currents: Array, surrogate: Surrogate, key: Array,
              alpha: Any = None, potentials: bool = False, policy: str = "full") -> Any:
    """Spikes (T, B, N) of LIF neurons driven by input currents (T, B, N).

    Each step is Norse's ``lif_feed_forward_step``: the input joins the
    synaptic current, the membrane decays towards it, the surrogate
    thresholds ``v - v_th`` and the neurons that spiked reset to 0. A
    stochastic surrogate gets its own key at every step. ``alpha`` (a
    number or a traced scalar) overrides the surrogate's; ``potentials=True``
    returns ``(spikes, v - v_th)``, the second the surrogate's input (T, B, N).
    ``policy`` is the scan's memory policy (``neurons.POLICIES``).
    """
    alpha = surrogate.alpha if alpha is None else alpha
    p = neurons.LIFParameters(method=surrogate.spike, alpha=alpha)
    zeros = jnp.zeros(currents.shape[1:], F32)
    if not potentials:  # the whole sequence in the library's scan (one key per step)
        return neurons.lif_feed_forward_scan(
            currents.astype(F32), neurons.LIFFeedForwardState(zeros, zeros), p,
            key=key if surrogate.stochastic else None, policy=policy)[0]
    # Norse's LIF step is a leaky integrator's step, then fire: the same
    # integration from the same state gives the potential the threshold saw.
    integrator = neurons.LIParameters(p.tau_syn_inv, p.tau_mem_inv, p.v_leak)
    keys = jax.random.split(key, currents.shape[0])

    def step(state: neurons.LIFFeedForwardState,
             inputs: tuple[Array, Array]) -> tuple[neurons.LIFFeedForwardState, Any]:
        current, k = inputs
        z, new = neurons.lif_feed_forward_step(
            current, state, p, key=k if surrogate.stochastic else None)
        v, _ = neurons.li_feed_forward_step(current, neurons.LIState(state.v, state.i),
                                            integrator)
        return new, (z, v - p.v_th)

    _, outputs = jax.lax.scan(step, neurons.LIFFeedForwardState(zeros, zeros),
                              (currents.astype(F32), keys))
    return outputs


def li_layer(currents: Array) -> Array:
    """Membrane voltages (T, B, N) of non-spiking leaky integrators (Norse's LI)."""
    zeros = jnp.zeros(currents.shape[1:], F32)
    return neurons.li_feed_forward_scan(currents.astype(F32), neurons.LIState(zeros, zeros))[0]


@dataclasses.dataclass(frozen=True)
class Config:
    """What the forward pass needs besides the weights."""

    surrogate: Surrogate
    steps: int
    encoding: str = "rate"
    # alpha per optimiser step (an optax schedule of the step number, run
    # inside the jitted train step); None: the surrogate's fixed alpha.
    alpha_schedule: Callable[[Any], Any] | None = None
    # the hidden layer's scan policy (neurons.POLICIES): "sltt" trains with
    # SLTT's gradient, an approximation of BPTT's
    policy: str = "full"

    def alpha_at(self, step: Any = None) -> Any:
        """The alpha of optimiser step ``step`` (fixed without a schedule or step)."""
        if self.alpha_schedule is None or step is None:
            return self.surrogate.alpha
        return self.alpha_schedule(step)


def snn_forward(hidden: Layer, readout: Layer, images: Array, key: Array,
                cfg: Config, step: Any = None) -> tuple[Array, Array]:
    """Encode, LIF hidden layer, LI readout; logits = max voltage over time.

    Args:
        hidden: the input-to-hidden affine map (any framework's Linear).
        readout: the hidden-to-output affine map.
        images: (B, 64) intensities in [0, 1].
        key: randomness for the encoding and for stochastic surrogates.
        cfg: the surrogate, number of steps and encoding.
        step: the optimiser step, for ``cfg.alpha_schedule``.

    Returns:
        (logits (B, 10), hidden spikes (T, B, hidden size)).
    """
    k_encode, k_spike = jax.random.split(key)
    spikes_in = encode(images, cfg.steps, k_encode, cfg.encoding)
    hidden_spikes = lif_layer(hidden(spikes_in), cfg.surrogate, k_spike,
                              cfg.alpha_at(step), policy=cfg.policy)
    voltages = li_layer(readout(hidden_spikes))
    # Max over time (as in Norse's MNIST tutorial) lets a class win at any
    # step rather than having to integrate the whole window.
    return jnp.max(voltages, axis=0), hidden_spikes


def hidden_potentials(hidden: Layer, images: Array, key: Array,
                      cfg: Config) -> Array:
    """The hidden layer's ``v - v_th`` (T, B, N), as ``snn_forward`` sees it."""
    k_encode, k_spike = jax.random.split(key)
    spikes_in = encode(images, cfg.steps, k_encode, cfg.encoding)
    return lif_layer(hidden(spikes_in), cfg.surrogate, k_spike, potentials=True)[1]


def loss_and_accuracy(logits: Array, labels: Array) -> tuple[Array, Array]:
    """Mean softmax cross-entropy and accuracy of a batch."""
    log_p = jax.nn.log_softmax(logits.astype(F32), axis=-1)
    loss = -jnp.mean(jnp.take_along_axis(log_p, labels[:, None], axis=-1))
    accuracy = jnp.mean((jnp.argmax(logits, axis=-1) == labels).astype(F32))
    return loss, accuracy


# --------------------------------------------------------------------------
# Command line and training loop


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default once, and none where there is none to show."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is False \
                or "%(default)" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def whole_number(text: str) -> int:
    """An argparse type: a whole number >= 1 (argparse names the option on error)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


def positive_number(text: str) -> float:
    """An argparse type: a finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text!r}")
    return value


def list_of(item: Callable[[str], Any]) -> Callable[[str], list[Any]]:
    """An argparse type: a comma-separated list, each entry of type ``item``."""
    def parse(text: str) -> list[Any]:
        values = [item(v) for v in text.split(",") if v.strip()]
        if not values:
            raise argparse.ArgumentTypeError(f"expected a comma-separated list, got {text!r}")
        return values
    parse.__name__ = f"list of {item.__name__}"
    return parse


def one_of(allowed: tuple[str, ...]) -> Callable[[str], str]:
    """An argparse type: one of ``allowed``."""
    def parse(text: str) -> str:
        if text not in allowed:
            raise argparse.ArgumentTypeError(f"expected one of {', '.join(allowed)}, got {text!r}")
        return text
    parse.__name__ = "name"
    return parse


ENCODINGS = ("rate", "latency")


def parser(description: str, *,
           compare: bool = False) -> argparse.ArgumentParser:
    """The flags every digits example shares."""
    ap = argparse.ArgumentParser(description=description,
                                 formatter_class=_HelpFormatter)
    ap.add_argument("--surrogate", default="super",
                    help="a jaxsurrogate name, alias or preset, e.g. super, "
                         "heavi_erfc, snntorch.atan (python -c 'import "
                         "jaxsurrogate as js; print(js.names(), js.presets())' "
                         "lists them)")
    ap.add_argument("--alpha", type=positive_number, default=None,
                    help="the surrogate's alpha (default: the surrogate's own, "
                         "e.g. 100 for super)")
    ap.add_argument("--epochs", type=whole_number, default=10,
                    help="passes over the training digits")
    ap.add_argument("--seed", type=int, default=0,
                    help="seed of the initial weights, the batch order and "
                         "the spike encoding (the train/test split is fixed)")
    ap.add_argument("--steps", type=whole_number, default=16,
                    help="simulation time steps T per digit")
    ap.add_argument("--encoding", choices=ENCODINGS, default="rate",
                    help="rate: each pixel spikes at every step with "
                         "probability = its intensity; latency: each pixel "
                         "brighter than 0.1 spikes once, brighter ones earlier")
    ap.add_argument("--policy", choices=neurons.POLICIES, default="full",
                    help="the hidden layer's scan policy: full (BPTT), checkpoint "
                         "(recomputed segments, the same gradient) or sltt (SLTT: "
                         "the state's gradient cut between steps, an approximation)")
    ap.add_argument("--hidden", type=whole_number, default=128,
                    help="number of LIF neurons in the hidden layer")
    ap.add_argument("--init", choices=INITS, default="fluctuation",
                    help="the hidden layer's weights: fluctuation (js.init: the "
                         "potential's mean 0 and spread 1, one std below threshold, "
                         "for the training digits' input rate) or lecun (Flax's "
                         "default); the readout's are lecun")
    ap.add_argument("--batch-size", type=whole_number, default=32,
                    help="digits per training step")
    ap.add_argument("--lr", type=positive_number, default=2e-3,
                    help="Adam's learning rate")
    ap.add_argument("--limit", type=whole_number, default=None,
                    help="use only this many digits (stratified), for quick "
                         "runs (default: all 1797)")
    # By default a first run leaves its plots where the user can open them.
    ap.add_argument("--out", type=Path, default=Path("runs") / Path(sys.argv[0]).stem,
                    help="write metrics.json, learning_curves.png and "
                         "raster.png here")
    ap.add_argument("--no-progress", action="store_true",
                    help="no tqdm progress bar")
    ap.add_argument("--alpha-schedule", default=None, metavar="KIND:START:END",
                    help="alpha from START to END over the run, KIND linear or "
                         "cosine (an optax schedule inside the jitted step)")
    ap.add_argument("--diagnose", action="store_true",
                    help="per epoch, the hidden layer's window fraction and "
                         "mean g into metrics.json; window.png at the end")
    if compare:
        ap.add_argument("--compare", action="store_true",
                        help="train once per Norse method and print a table")
    return ap


# step(images, labels, key, step_number) -> (loss, accuracy); the framework's
# update happens inside, on state the closure owns.
StepFn = Callable[[np.ndarray, np.ndarray, Array, int], tuple[Array, Array]]
# evaluate(images, labels, key) -> (accuracy, hidden spikes (T, B, H)[,
# predicted classes (B,)])
EvalFn = Callable[[np.ndarray, np.ndarray, Array], tuple[Array, Array]]


def fit_flags(args: argparse.Namespace) -> dict[str, Any]:
    """The keywords of :func:`fit` that come from the shared flags."""
    return dict(epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                progress=not args.no_progress)


def fit(step: StepFn, evaluate: EvalFn, data: Digits, *, epochs: int,
        batch_size: int, seed: int, progress: bool = True,
        desc: str = "train",
        on_epoch: Callable[[dict[str, Any], int], None] | None = None) -> dict[str, Any]:
    """Trains for ``epochs`` over shuffled full batches; scores each epoch.

    The last partial batch of each epoch is dropped so that every step has
    the same shape and the jitted step compiles once.

    Returns:
        The metrics: per-epoch ``train_loss``, ``train_accuracy``,
        ``test_accuracy_per_epoch``; every step's loss (``step_losses``);
        final ``test_accuracy``;
        ``train_seconds`` (wall time of the loop, compilation included) and
        the test hidden spikes of the last evaluation (``raster``, not JSON);
        ``hidden_spikes_per_epoch`` (hidden spikes over all test digits after
        each epoch) and ``silent_epochs`` (those with none: the readout saw
        nothing), warned about on stderr; ``raster_prediction``, the class
        predicted for the raster's digit, where ``evaluate`` returns it.
        ``on_epoch(history, last_step)``, if given, runs after each epoch's
        evaluation and may add to the history.
    """
    from tqdm.auto import tqdm

    n = len(data.y_train)
    if n < batch_size:
        raise SystemExit(f"--batch-size {batch_size} is larger than the "
                         f"{n} training digits")
    order = np.random.default_rng(seed)
    key = jax.random.key(seed)
    eval_key = jax.random.key(seed + 1)
    history: dict[str, Any] = {"train_loss": [], "train_accuracy": [],
                               "test_accuracy_per_epoch": [],
                               "step_losses": [],
                               "hidden_spikes_per_epoch": [],
                               "silent_epochs": []}
    start = time.perf_counter()
    bar = tqdm(range(epochs), desc=desc, disable=not progress, leave=True)
    for epoch in bar:
        perm = order.permutation(n)
        losses, accs = [], []
        for b in range(n // batch_size):
            idx = perm[b * batch_size:(b + 1) * batch_size]
            key, sub = jax.random.split(key)
            # An array, not a Python int, which filter_jit would treat as static.
            number = np.asarray(len(history["step_losses"]) + b, np.int32)
            loss, acc = step(data.x_train[idx], data.y_train[idx], sub, number)
            losses.append(loss)
            accs.append(acc)
        # One host sync per epoch, not per step.
        losses = [float(x) for x in jax.device_get(losses)]
        history["step_losses"].extend(losses)
        history["train_loss"].append(float(np.mean(losses)))
        history["train_accuracy"].append(float(np.mean(jax.device_get(accs))))
        test_acc, raster, *predicted = evaluate(data.x_test, data.y_test,
                                                eval_key)
        history["test_accuracy_per_epoch"].append(float(test_acc))
        n_spikes = int(np.asarray(raster).sum())
        history["hidden_spikes_per_epoch"].append(n_spikes)
        if n_spikes == 0:
            history["silent_epochs"].append(epoch + 1)
            if len(history["silent_epochs"]) == 1:
                tqdm.write(silent_warning(epoch + 1, len(data.y_test)),
                           file=sys.stderr)
        if on_epoch is not None:
            on_epoch(history, len(history["step_losses"]) - 1)
        bar.set_postfix(loss=f"{history['train_loss'][-1]:.3f}",
                        test_acc=f"{float(test_acc):.3f}")
    history["train_seconds"] = time.perf_counter() - start
    history["test_accuracy"] = history["test_accuracy_per_epoch"][-1]
    history["raster"] = np.asarray(raster)
    if predicted:
        history["raster_prediction"] = int(np.asarray(predicted[0])[0])
    silent = history["silent_epochs"]
    if len(silent) > 1 and silent[-1] == epochs:
        tqdm.write(f"warning: the hidden layer was silent in {len(silent)} of "
                   f"{epochs} epochs, the last included", file=sys.stderr)
    return history


def silent_warning(epoch: int, n_test: int) -> str:
    """The warning for a hidden layer that did not spike (``epoch`` from 1)."""
    return (f"warning: the hidden layer was silent after epoch {epoch}: no "
            f"spike for any of the {n_test} test digits, so the readout sees "
            f"nothing and the network can only guess. Its input may be too weak "
            f"to reach the threshold (--encoding latency gives each pixel at "
            f"most one spike; --encoding rate, the default, drives it harder), "
            f"or the surrogate's gradient may not reach the membrane potentials "
            f"(try a wider surrogate).")


def run_info(args: argparse.Namespace, surrogate: Surrogate,
             data: Digits, framework: str) -> dict[str, Any]:
    """The settings of a run, for metrics.json."""
    return {
        "framework": framework,
        "surrogate": surrogate.name,
        # With a schedule there is no one alpha: the schedule's text says which.
        "alpha": None if args.alpha_schedule else surrogate.alpha,
        "epochs": args.epochs,
        "seed": args.seed,
        "steps": args.steps,
        "encoding": args.encoding,
        "hidden": args.hidden,
        "init": args.init,
        "policy": args.policy,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "alpha_schedule": args.alpha_schedule,
        "n_train": int(len(data.y_train)),
        "n_test": int(len(data.y_test)),
        "devices": [str(d) for d in jax.devices()],
    }


def write_outputs(out: Path | None, metrics: dict[str, Any],
                  data: Digits) -> None:
    """metrics.json, learning_curves.png, raster.png (and window.png) into ``out``."""
    if out is None:
        return
    out.mkdir(parents=True, exist_ok=True)
    raster = metrics.get("raster")
    serialisable = {k: v for k, v in metrics.items() if k not in ("raster", "window_x")}
    (out / "metrics.json").write_text(json.dumps(serialisable, indent=2) + "\n")
    plot_learning_curves(metrics, out / "learning_curves.png")
    if raster is not None:
        plot_raster(raster[:, 0, :], data.x_test[0], int(data.y_test[0]),
                    out / "raster.png", surrogate=metrics.get("surrogate", ""),
                    alpha=metrics.get("alpha"),
                    predicted=metrics.get("raster_prediction"))
    if "window_x" in metrics:  # --diagnose: the last epoch's v - v_th under g
        js.plot_window(js.get(metrics["surrogate"]), metrics["window_x"],
                       out / "window.png", alpha=metrics["window_alpha"])
    print(f"wrote {out}/metrics.json, learning_curves.png, raster.png"
          f"{', window.png' if 'window_x' in metrics else ''}")


def run(train: Callable[[argparse.Namespace, Digits], dict[str, Any]], description: str,
        argv: list[str] | None = None) -> None:
    """An example's main: parse the flags, train once, write and print the results."""
    args = parser(description).parse_args(argv)
    resolve_surrogate(args.surrogate, args.alpha)  # fails fast, before loading data
    start = time.perf_counter()
    data = load_digits(args.limit)
    metrics = train(args, data)
    write_outputs(args.out, metrics, data)
    print(summary(metrics))
    print(f"total wall time {time.perf_counter() - start:.1f} s")


def summary(metrics: dict[str, Any]) -> str:
    """One line for the terminal."""
    alpha = "" if metrics["alpha"] is None else f" alpha={metrics['alpha']:g}"
    if metrics.get("alpha_schedule"):
        alpha = f" alpha={metrics['alpha_schedule']}"
    return (f"{metrics['framework']} {metrics['surrogate']}{alpha}: "
            f"test accuracy {metrics['test_accuracy']:.4f} after "
            f"{metrics['epochs']} epochs, {metrics['train_seconds']:.1f} s")


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    """The --compare table: accuracy and time per surrogate."""
    lines = ["| surrogate | alpha | test accuracy | train seconds |",
             "|---|---:|---:|---:|"]
    for m in rows:
        alpha = "-" if m["alpha"] is None else f"{m['alpha']:g}"
        lines.append(f"| {m['surrogate']} | {alpha} | {m['test_accuracy']:.4f} "
                     f"| {m['train_seconds']:.1f} |")
    return "\n".join(lines)
