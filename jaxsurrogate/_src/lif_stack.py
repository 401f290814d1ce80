"""Stacked feed-forward LIF layers over a whole sequence, in one scan.

Run layer by layer, a deep network keeps each layer's spikes for the whole
sequence, ``[T, ..., n]`` floats, and their cotangents in the backward pass:
two such arrays per layer, whatever the scan's policy. One scan whose step
runs every layer passes the spikes from layer to layer within the step, so
no sequence exists between layers; a checkpointed segment recomputes them.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from jaxsurrogate._src.lif import _floats, _linear, _weight_arrays, lif_feed_forward_step
from jaxsurrogate._src.lif_scan import _length, _spiking_scan, _weights_driving
from jaxsurrogate._src.lif_types import LIFFeedForwardState, LIFParameters

NAME = "lif_feed_forward_stack_scan"


def _layers(inputs: Any, states: Any, input_weights: Any, p: Any) -> tuple[tuple, tuple, Any]:
    """The checked weights, one parameter set per layer, and the dtype the steps run in."""
    # A state is a tuple too: one state alone is not a sequence of them.
    if (not isinstance(states, (tuple, list)) or isinstance(states, LIFFeedForwardState)
            or not isinstance(input_weights, (tuple, list))):
        raise TypeError(f"{NAME}: states and input_weights must be sequences, one entry per "
                        f"layer, got {type(states).__name__} and {type(input_weights).__name__}")
    if not all(isinstance(s, LIFFeedForwardState) for s in states):
        raise TypeError(f"{NAME}: each of states must be a LIFFeedForwardState(v, i), got "
                        f"{[type(s).__name__ for s in states]}")
    if not states or len(states) != len(input_weights):
        raise ValueError(f"{NAME}: states and input_weights need one entry per layer, at least "
                         f"one, got {len(states)} states and {len(input_weights)} weights")
    layers = len(states)
    _length(NAME, inputs)  # before the first step is read for its shape
    if isinstance(p, LIFParameters):
        ps = (p,) * layers
    elif (isinstance(p, (tuple, list)) and len(p) == layers
          and all(isinstance(q, LIFParameters) for q in p)):
        ps = tuple(p)
    else:
        raise TypeError(f"{NAME}: p must be one LIFParameters for every layer or a sequence of "
                        f"{layers} (one per layer), got {p!r}")
    arrays, dtype = _floats(NAME, inputs=inputs,
                            **{f"states[{k}].v": s.v for k, s in enumerate(states)})
    weights = tuple(_weight_arrays(NAME, **{f"input_weights[{k}]": w
                                           for k, w in enumerate(input_weights)}).values())
    x = arrays["inputs"][0]
    for k, (s, w) in enumerate(zip(states, weights)):
        _weights_driving(NAME, f"input_weights[{k}]", w, x, s)
        x = jax.ShapeDtypeStruct(jnp.shape(s.v), dtype)  # the next layer's input
    return weights, ps, dtype


def lif_feed_forward_stack_scan(
    inputs: Any,
    states: Any,
    input_weights: Any,
    p: Any = LIFParameters(),
    dt: float = 0.001,
    *,
    policy: str = "full",
    every: int | None = None,
    checkpoint_policy: Any = None,
    key: Any = None,
    residual_dtype: Any = None,
) -> tuple[Any, tuple]:
    r"""Feed-forward LIF layers over a whole sequence in one scan, no sequence between them.

    .. math::
        z^0_t = x_t, \qquad (z^l_t, s^l_t) = \mathrm{step}(W_l z^{l-1}_t, s^l_{t-1}),
        \qquad l = 1 \ldots L, \; t = 1 \ldots T

    Args:
        inputs: the inputs of the first layer, time-major ``[T, ..., in]``.
        states: one ``LIFFeedForwardState(v, i)`` per layer, before the first step.
        input_weights: one weight matrix per layer, ``(out, in)`` (Norse's layout),
            each weighing the layer below's spikes (the first, ``inputs``).
        p: the parameters: one ``LIFParameters`` for every layer, or one per layer.
        dt: the Euler time step (s).
        policy: ``"full"``, ``"checkpoint"`` or ``"sltt"``, as for
            :func:`lif_feed_forward_scan`; with ``"sltt"`` every layer's carried
            state has its gradient cut, the paths between layers within a step kept.
        every: the checkpoint policy's segment length; None for about ``sqrt(T)``.
        checkpoint_policy: what a checkpointed segment keeps; None: nothing.
        key: a PRNG key for a stochastic method, split into one per step, and each
            step's into one per layer.
        residual_dtype: passed to each step's :func:`fire`.

    Returns:
        ``(spikes of the last layer [T, ..., out], final states)``: what
        ``lif_feed_forward_scan(..., input_weights=W_l)`` layer after layer
        gives, bit for bit.

    Example:
        >>> import jax.numpy as jnp, jaxsurrogate as js
        >>> n = js.neurons
        >>> rest = lambda k: n.LIFFeedForwardState(jnp.zeros(k), jnp.zeros(k))
        >>> weights = (jnp.full((3, 2), 2.0), jnp.full((1, 3), 3.0))
        >>> z, (s1, s2) = n.lif_feed_forward_stack_scan(
        ...     jnp.ones((6, 2)), (rest(3), rest(1)), weights, policy="checkpoint")
        >>> z[:, 0]
        Array([0., 0., 1., 1., 1., 1.], dtype=float32)

    Reference:
        Norse 1.1.0, ``norse.torch.functional.lif.lif_feed_forward_step`` in a
        loop, layer after layer; Chen et al., "Training deep nets with sublinear
        memory cost" (2016) for the checkpoint segments; Meng et al. (ICCV 2023)
        for SLTT.
    """
    weights, ps, dtype = _layers(inputs, states, input_weights, p)
    layers = len(weights)

    def step(x, ss, k, params):
        ps, ws = params
        keys = (None,) * layers if k is None else tuple(jax.random.split(k, layers))
        new = []
        for s, w, q, kq in zip(ss, ws, ps, keys):
            x, s = lif_feed_forward_step(_linear(x, w, dtype), s, q, dt, key=kq,
                                         residual_dtype=residual_dtype)
            new.append(s)
        return x, tuple(new)

    return _spiking_scan(NAME, step, inputs, tuple(states), key, False, policy, every,
                         checkpoint_policy, (ps, weights))
