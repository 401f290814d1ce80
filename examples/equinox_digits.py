"""The digits LIF SNN of ``train_digits.py``, written with Equinox.

Same network, data, encoding and loop (all from ``_digits``); the model is an
``eqx.Module`` holding two ``eqx.nn.Linear`` layers (its surrogate and
settings are static fields), trained with optax's Adam under
``eqx.filter_jit`` and ``eqx.filter_value_and_grad``. The LIF and LI layers
are ``jaxsurrogate.neurons``' Norse steps in ``jax.lax.scan``.

    python examples/equinox_digits.py --surrogate spikingjelly.atan --out runs/eqx
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import optax

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _digits
import _digits as digits  # noqa: E402
import _width as width  # noqa: E402


def linear(n_in: int, n_out: int, key: jax.Array, init: Any = None) -> eqx.nn.Linear:
    """An ``eqx.nn.Linear`` started as Flax's and Haiku's are (zero bias, weights
    from ``init`` of shape ``(out, in)``; None: lecun normal), so that the
    examples begin from the same statistics."""
    layer = eqx.nn.Linear(n_in, n_out, key=key, dtype=jnp.float32)
    init = init or jax.nn.initializers.lecun_normal(in_axis=1, out_axis=0)
    weight = init(key, (n_out, n_in), jnp.float32)
    return eqx.tree_at(lambda m: (m.weight, m.bias), layer,
                       (weight, jnp.zeros(n_out, jnp.float32)))


def apply(layer: eqx.nn.Linear, x: jax.Array) -> jax.Array:
    """The layer on inputs with any leading axes (time, batch)."""
    return x @ layer.weight.T + layer.bias


class SNN(eqx.Module):
    """64 inputs -> LIF hidden layer -> leaky-integrator readout of 10."""

    hidden: eqx.nn.Linear
    readout: eqx.nn.Linear
    cfg: digits.Config = eqx.field(static=True)

    def __init__(self, hidden: int, cfg: digits.Config, key: jax.Array,
                 hidden_init: Any = None):
        k_hidden, k_readout = jax.random.split(key)
        self.hidden = linear(digits.N_INPUTS, hidden, k_hidden, hidden_init)
        self.readout = linear(hidden, digits.N_CLASSES, k_readout)
        self.cfg = cfg

    def __call__(self, images: jax.Array, key: jax.Array,
                 step: jax.Array | None = None) -> tuple[jax.Array, jax.Array]:
        return digits.snn_forward(lambda x: apply(self.hidden, x),
                                  lambda x: apply(self.readout, x), images, key,
                                  self.cfg, step)

    def potentials(self, images: jax.Array, key: jax.Array) -> jax.Array:
        """The hidden layer's v - v_th (T, B, N), for --diagnose."""
        return digits.hidden_potentials(lambda x: apply(self.hidden, x), images, key,
                                        self.cfg)


def train(args: Any, data: digits.Digits) -> dict[str, Any]:
    """Trains one network; returns its metrics (see ``digits.fit``)."""
    surrogate = digits.resolve_surrogate(args.surrogate, args.alpha)
    cfg = digits.Config(surrogate, args.steps, args.encoding,
                        width.alpha_schedule(args, surrogate, data),
                        policy=args.policy)
    model = SNN(args.hidden, cfg, jax.random.key(args.seed),
                digits.hidden_init(args, data, in_axis=-1, out_axis=-2))
    tx = optax.adam(args.lr)
    opt_state = tx.init(eqx.filter(model, eqx.is_array))

    @eqx.filter_jit
    def train_step(model: SNN, opt_state: optax.OptState, images: jax.Array,
                   labels: jax.Array, key: jax.Array, step: jax.Array):
        def loss_fn(m: SNN) -> tuple[jax.Array, jax.Array]:
            logits, _ = m(images, key, step)
            return digits.loss_and_accuracy(logits, labels)

        (loss, acc), grads = eqx.filter_value_and_grad(loss_fn, has_aux=True)(model)
        updates, opt_state = tx.update(grads, opt_state, eqx.filter(model, eqx.is_array))
        return eqx.apply_updates(model, updates), opt_state, loss, acc

    @eqx.filter_jit
    def evaluate(model: SNN, images: jax.Array, labels: jax.Array,
                 key: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        logits, spikes = model(images, key)
        return (digits.loss_and_accuracy(logits, labels)[1], spikes,
                jnp.argmax(logits, axis=-1))

    # digits.fit drives a stateful step; the pure state lives in this cell.
    state = {"model": model, "opt": opt_state}

    def step(images, labels, key, step_number):
        state["model"], state["opt"], loss, acc = train_step(
            state["model"], state["opt"], images, labels, key, step_number)
        return loss, acc

    potentials = eqx.filter_jit(lambda model, x, k: model.potentials(x, k))

    history = digits.fit(
        step, lambda x, y, k: evaluate(state["model"], x, y, k), data,
        **digits.fit_flags(args), desc=f"equinox {args.surrogate}",
        on_epoch=width.diagnosis(args, cfg, lambda x, k: potentials(state["model"], x, k),
                                 data))
    return {**digits.run_info(args, surrogate, data, "equinox"), **history}


def main(argv: list[str] | None = None) -> None:
    digits.run(train, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    main()
