"""The digits LIF SNN of ``train_digits.py``, written with Haiku.

Same network, data, encoding and loop (all from ``_digits``); only the
parameter handling differs: ``hk.transform`` turns the forward pass into a
pure ``init``/``apply`` pair and optax updates the parameter tree. Time is
unrolled with ``jax.lax.scan`` inside the transformed function; no Haiku
module is called inside the scan body, so no ``hk.scan`` is needed.

    python examples/haiku_digits.py --surrogate tanh --epochs 10 --out runs/hk
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import haiku as hk
import jax
import jax.numpy as jnp
import optax

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _digits
import _digits as digits  # noqa: E402
import _width as width  # noqa: E402


def build(hidden: int, cfg: digits.Config, hidden_init: Any = None) -> hk.Transformed:
    """The network as a pure (init, apply) pair; apply needs no Haiku rng.

    ``apply(params, images, key, step)`` gives (logits, hidden spikes);
    with ``potentials=True``, the hidden layer's v - v_th (for --diagnose).
    """

    def forward(images: jax.Array, key: jax.Array, step: Any = None,
                potentials: bool = False) -> Any:
        # The hidden weights from --init, as in the other examples; the
        # readout keeps Haiku's default (truncated normal, std 1/sqrt(fan_in),
        # close to Flax's lecun_normal). Inputs are float32 spikes, so the
        # layers compute in float32.
        w_init = None if hidden_init is None else (
            lambda shape, dtype: hidden_init(hk.next_rng_key(), shape, dtype))
        lin_hidden = hk.Linear(hidden, w_init=w_init, name="hidden")
        lin_readout = hk.Linear(digits.N_CLASSES, name="readout")
        if potentials:
            return digits.hidden_potentials(lin_hidden, images, key, cfg)
        return digits.snn_forward(lin_hidden, lin_readout, images, key, cfg, step)

    return hk.without_apply_rng(hk.transform(forward))


def train(args: Any, data: digits.Digits) -> dict[str, Any]:
    """Trains one network; returns its metrics (see ``digits.fit``)."""
    surrogate = digits.resolve_surrogate(args.surrogate, args.alpha)
    cfg = digits.Config(surrogate, args.steps, args.encoding,
                        width.alpha_schedule(args, surrogate, data),
                        policy=args.policy)
    net = build(args.hidden, cfg, digits.hidden_init(args, data))
    init_key = jax.random.key(args.seed)
    params = net.init(init_key, jnp.zeros((1, digits.N_INPUTS), jnp.float32),
                      init_key)
    tx = optax.adam(args.lr)

    @jax.jit
    def train_step(params: hk.Params, opt_state: optax.OptState,
                   images: jax.Array, labels: jax.Array, key: jax.Array,
                   step: jax.Array):
        def loss_fn(p: hk.Params) -> tuple[jax.Array, jax.Array]:
            logits, _ = net.apply(p, images, key, step)
            return digits.loss_and_accuracy(logits, labels)

        (loss, acc), grads = jax.value_and_grad(loss_fn, has_aux=True)(params)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss, acc

    @jax.jit
    def evaluate(params: hk.Params, images: jax.Array, labels: jax.Array,
                 key: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        logits, spikes = net.apply(params, images, key)
        return (digits.loss_and_accuracy(logits, labels)[1], spikes,
                jnp.argmax(logits, axis=-1))

    potentials = jax.jit(lambda params, images, key: net.apply(params, images, key, None, True))
    # digits.fit drives a stateful step; the pure state lives in this cell.
    state = {"params": params, "opt": tx.init(params)}

    def step(images, labels, key, step_number):
        state["params"], state["opt"], loss, acc = train_step(
            state["params"], state["opt"], images, labels, key, step_number)
        return loss, acc

    history = digits.fit(
        step, lambda x, y, k: evaluate(state["params"], x, y, k), data,
        **digits.fit_flags(args), desc=f"haiku {args.surrogate}",
        on_epoch=width.diagnosis(args, cfg, lambda x, k: potentials(state["params"], x, k),
                                 data))
    return {**digits.run_info(args, surrogate, data, "haiku"), **history}


def main(argv: list[str] | None = None) -> None:
    digits.run(train, __doc__.splitlines()[0], argv)


if __name__ == "__main__":
    main()
