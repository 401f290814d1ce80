"""The width tools in the digits examples: ``--alpha-schedule`` and ``--diagnose``.

``--alpha-schedule linear:START:END`` (or ``cosine:...``) becomes an optax
schedule of the optimiser step; the train step evaluates it inside ``jit``,
so alpha changes every step and the step still compiles once.
``--diagnose`` measures, after every epoch, how much of the hidden layer's
``v - v_th`` over the test digits lies inside the surrogate's gradient window
(:func:`jaxsurrogate.window_fraction`), and prints the layer's membrane
statistics, rate and silent share (:func:`jaxsurrogate.layer_statistics`).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any

import jax
import numpy as np
import optax

import jaxsurrogate as js

KINDS = ("linear", "cosine")


def alpha_schedule(args: argparse.Namespace, surrogate: Any,
                   data: Any) -> Callable[[Any], Any] | None:
    """The optax schedule of ``--alpha-schedule KIND:START:END`` over the run, or None.

    Raises:
        SystemExit: naming the flag, for a malformed value, an alpha that is
            not finite and > 0, a surrogate without alpha, or ``--alpha`` too.
    """
    text = args.alpha_schedule
    if text is None:
        return None
    if args.alpha is not None:
        raise SystemExit("--alpha-schedule: give --alpha or --alpha-schedule, not both")
    kind, *ends = text.split(":")
    try:
        start, end = (float(v) for v in ends)
    except ValueError:
        raise SystemExit(f"--alpha-schedule: expected KIND:START:END with KIND one of "
                         f"{', '.join(KINDS)}, got {text!r}") from None
    if kind not in KINDS:
        raise SystemExit(f"--alpha-schedule: KIND must be one of {', '.join(KINDS)}, "
                         f"got {kind!r}")
    if not all(math.isfinite(v) and v > 0 for v in (start, end)):
        raise SystemExit(f"--alpha-schedule: START and END must be finite and > 0, got {text!r}")
    if surrogate.alpha is None:
        raise SystemExit(f"--alpha-schedule: {surrogate.name} has no alpha parameter")
    # Optimiser steps in the run (fit drops each epoch's last partial batch).
    steps = args.epochs * (len(data.y_train) // args.batch_size)
    if steps < 1:
        raise SystemExit(f"--alpha-schedule: the run has no optimiser step to schedule "
                         f"({len(data.y_train)} training digits, --batch-size "
                         f"{args.batch_size}, --epochs {args.epochs})")
    # Steps 0 to steps - 1: the last one takes END (one step: START).
    span = max(steps - 1, 1)
    if kind == "linear":
        return optax.linear_schedule(start, end, transition_steps=span)
    # optax's cosine decay ends at init_value * alpha; alpha > 1 makes it rise.
    return optax.cosine_decay_schedule(start, span, alpha=end / start)


DT = 1e-3  # the examples' neurons run at Norse's dt


def diagnosis(args: argparse.Namespace, cfg: Any, potentials: Callable[[Any, Any], Any],
              data: Any) -> Callable[[dict[str, Any], int], None] | None:
    """The ``on_epoch`` hook of ``--diagnose`` (None without the flag).

    Args:
        args: the parsed flags (``diagnose``, ``seed``).
        cfg: the run's ``Config`` (surrogate and alpha schedule).
        potentials: ``potentials(images, key)``, the hidden layer's
            ``v - v_th`` (T, B, N) under the current weights.
        data: the digits; the test digits are measured.
    """
    if not args.diagnose:
        return None
    key = jax.random.key(args.seed + 1)  # the evaluation's key: the same input spikes
    spike = cfg.surrogate.spike

    def on_epoch(history: dict[str, Any], last_step: int) -> None:
        x = potentials(data.x_test, key)
        alpha = cfg.alpha_at(last_step)
        # A random surrogate (local_zo) draws its g: the epoch's own key.
        draw = ({"key": jax.random.fold_in(key, last_step)}
                if "derivative" in spike.declaration.keyed else {})
        window = js.window_fraction(spike, x, alpha, **draw)
        history.setdefault("window_fraction", []).append(float(window.fraction))
        history.setdefault("mean_g", []).append(float(window.mean_g))
        history.setdefault("alpha_per_epoch", []).append(
            None if alpha is None else float(alpha))
        history["window_x"] = np.asarray(x)  # for window.png; not JSON
        history["window_alpha"] = history["alpha_per_epoch"][-1]
        spikes = spike(x, **({} if alpha is None else {"alpha": alpha}), **draw)
        stats = js.layer_statistics(x, spikes, dt=DT)
        history.setdefault("layer_statistics", []).append(stats._asdict())
        print(f"  hidden layer: v - v_th mean {stats.v_mean:.3f}, std {stats.v_std:.3f}; "
              f"rate {stats.rate:.1f} Hz; {stats.silent_fraction:.0%} of neurons silent",
              flush=True)

    return on_epoch

