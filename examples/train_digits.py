"""Train a leaky integrate-and-fire SNN on scikit-learn's digits with Flax NNX.

The main job of the README: 64 input pixels are coded into spike trains
(rate coding by default), a hidden layer of LIF neurons spikes through a
jaxsurrogate spike function (Norse's ``super``, alpha 100, by default) and a
leaky-integrator readout's peak voltage gives the class. Time is unrolled with
``jax.lax.scan``; the train step is jitted; optax's Adam updates the weights.
No downloads: the 1,797 8x8 digits ship with scikit-learn.

    python examples/train_digits.py                      # defaults
    python examples/train_digits.py --surrogate snntorch.atan --alpha 2
    python examples/train_digits.py --compare --out runs/compare
    python examples/train_digits.py --alpha-schedule cosine:10:100 --diagnose

``--out DIR`` writes metrics.json, learning_curves.png and raster.png (and,
with ``--diagnose``, window.png).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import optax
from flax import nnx

import jaxsurrogate as js

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _digits
import _digits as digits  # noqa: E402
import _width as width  # noqa: E402


class SNN(nnx.Module):
    """64 inputs -> LIF hidden layer -> leaky-integrator readout of 10."""

    def __init__(self, hidden: int, cfg: digits.Config, *, rngs: nnx.Rngs,
                 hidden_init: Any = None):
        f32 = jnp.float32
        self.cfg = cfg  # static (no arrays): part of the graph definition
        init = {} if hidden_init is None else {"kernel_init": hidden_init}
        self.hidden = nnx.Linear(digits.N_INPUTS, hidden, dtype=f32,
                                 param_dtype=f32, rngs=rngs, **init)
        self.readout = nnx.Linear(hidden, digits.N_CLASSES, dtype=f32,
                                  param_dtype=f32, rngs=rngs)

    def __call__(self, images: jax.Array, key: jax.Array,
                 step: jax.Array | None = None) -> tuple[jax.Array, jax.Array]:
        return digits.snn_forward(self.hidden, self.readout, images, key,
                                  self.cfg, step)


@nnx.jit
def train_step(model: SNN, optimizer: nnx.Optimizer, images: jax.Array,
               labels: jax.Array, key: jax.Array,
               step: jax.Array) -> tuple[jax.Array, jax.Array]:
    """One Adam step on a batch (optimiser step ``step``); its loss and accuracy."""

    def loss_fn(m: SNN) -> tuple[jax.Array, jax.Array]:
        logits, _ = m(images, key, step)
        return digits.loss_and_accuracy(logits, labels)

    (loss, acc), grads = nnx.value_and_grad(loss_fn, has_aux=True)(model)
    optimizer.update(model, grads)
    return loss, acc


@nnx.jit
def evaluate(model: SNN, images: jax.Array, labels: jax.Array,
             key: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Test accuracy, and the hidden spikes and predicted class of every test digit."""
    logits, spikes = model(images, key)
    return (digits.loss_and_accuracy(logits, labels)[1], spikes,
            jnp.argmax(logits, axis=-1))


@nnx.jit
def potentials(model: SNN, images: jax.Array, key: jax.Array) -> jax.Array:
    """The hidden layer's v - v_th (T, B, N), for --diagnose."""
    return digits.hidden_potentials(model.hidden, images, key, model.cfg)


def train(args: argparse.Namespace, data: digits.Digits, surrogate_name: str,
          alpha: float | None) -> dict[str, Any]:
    """Trains one network; returns its metrics (see ``digits.fit``)."""
    surrogate = digits.resolve_surrogate(surrogate_name, alpha)
    cfg = digits.Config(surrogate, args.steps, args.encoding,
                        width.alpha_schedule(args, surrogate, data),
                        policy=args.policy)
    model = SNN(args.hidden, cfg, rngs=nnx.Rngs(args.seed),
                hidden_init=digits.hidden_init(args, data))
    optimizer = nnx.Optimizer(model, optax.adam(args.lr), wrt=nnx.Param)
    history = digits.fit(
        lambda x, y, k, s: train_step(model, optimizer, x, y, k, s),
        lambda x, y, k: evaluate(model, x, y, k),
        data, **digits.fit_flags(args), desc=surrogate_name,
        on_epoch=width.diagnosis(args, cfg, lambda x, k: potentials(model, x, k), data))
    metrics = {**digits.run_info(args, surrogate, data, "flax.nnx"), **history}
    return metrics


def main(argv: list[str] | None = None) -> None:
    args = digits.parser(__doc__.splitlines()[0], compare=True).parse_args(argv)
    if not args.compare:
        digits.resolve_surrogate(args.surrogate, args.alpha)  # fails fast
    start = time.perf_counter()
    data = digits.load_digits(args.limit)
    if not args.compare:
        metrics = train(args, data, args.surrogate, args.alpha)
        digits.write_outputs(args.out, metrics, data)
        print(digits.summary(metrics))
    else:
        rows = []
        for name in js.NORSE_METHODS:
            # heaviside has no alpha; the others take --alpha if given.
            alpha = None if name == "heaviside" else args.alpha
            metrics = train(args, data, name, alpha)
            out = None if args.out is None else args.out / name
            digits.write_outputs(out, metrics, data)
            print(digits.summary(metrics))
            rows.append(metrics)
        table = digits.markdown_table(rows)
        print(table)
        if args.out is not None:
            (args.out / "compare.md").write_text(table + "\n")
    print(f"total wall time {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
