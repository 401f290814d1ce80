"""Whole sequences through Norse's LIF and LI steps, with a memory policy.

Each scan is ``lax.scan`` of the step function over a time-major input
``[T, ...]``: the same operations as a Python loop of the steps, so the same
spikes, states and gradients, bit for bit. A policy chooses what the
backward pass keeps:

- ``"full"``: every step's residuals (plain BPTT).
- ``"checkpoint"``: the state at the start of each segment of ``every``
  steps (default: the divisor of T nearest ``sqrt(T)``, else
  ``ceil(sqrt(T))``); each segment's steps are recomputed in
  the backward pass (``jax.checkpoint``), so memory grows as
  ``T / every + every`` steps' worth instead of ``T``. ``checkpoint_policy``
  (a ``jax.checkpoint_policies`` entry) may keep some residuals inside a
  segment, e.g. ``save_only_these_names(neurons.RESIDUAL_NAME)``.
- ``"sltt"`` (``lif_feed_forward_scan`` only): SLTT, spatial learning
  through time (Meng et al., ICCV 2023), an approximation of the gradient:
  the gradient of the state carried from one step to the next is cut, as
  their neuron detaches its membrane (``self.v.detach()``); each step's input
  keeps its path to that step's spikes, membrane and new state. The backward
  pass recomputes the steps in time order, each with its own small vector-
  Jacobian product, and sums the weights' and parameters' gradients as it
  goes: it keeps the initial state and nothing per step. The forward values
  are the loop's, bit for bit; the state before the first step gets no
  gradient.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from jaxsurrogate._src.lif import (
    _floats,
    _linear,
    _weight_arrays,
    _weights,
    li_feed_forward_step,
    lif_feed_forward_step,
    lif_step,
)
from jaxsurrogate._src.lif_types import LIFParameters, LIParameters

POLICIES = ("full", "checkpoint", "sltt")
# The scans whose input reaches the same step's spikes: SLTT's cut leaves them a gradient.
SLTT_SCANS = ("lif_feed_forward_scan", "lif_feed_forward_stack_scan")


def _length(name: str, inputs: Any) -> int:
    shape = jnp.shape(inputs)
    if len(shape) < 1 or shape[0] == 0:
        raise ValueError(f"{name}: inputs must be time-major [T, ...] with T >= 1, got shape "
                         f"{shape}")
    return shape[0]


def _check_policy(name: str, policy: str, every: Any, checkpoint_policy: Any) -> None:
    """Every scan's one check of ``policy`` and the options that go with it."""
    if policy not in POLICIES:
        raise ValueError(f"{name}: policy must be one of {POLICIES}, got {policy!r}")
    if policy == "sltt" and name not in SLTT_SCANS:
        # Norse's recurrent step adds this step's input to the current after
        # the membrane update, and the LI readout integrates it over later
        # steps: with the carry's gradient cut, the inputs and weights would
        # get no gradient at all.
        raise ValueError(f"{name}: policy='sltt' is for {' and '.join(SLTT_SCANS)}, whose "
                         "input reaches the same step's spikes; here the input acts only "
                         "through the state carried to later steps, whose gradient SLTT cuts")
    if policy == "sltt" and (every is not None or checkpoint_policy is not None):
        raise ValueError(f"{name}: every= and checkpoint_policy= are the checkpoint "
                         "policy's; policy='sltt' keeps no step to recompute from")
    if policy == "full" and every is not None:
        raise ValueError(f"{name}: every= is the checkpoint policy's segment length; "
                         "policy='full' keeps every step")
    if every is not None and (isinstance(every, bool) or not isinstance(every, int)
                              or every < 1):
        raise ValueError(f"{name}: every must be a whole number of steps >= 1, got {every!r}")


def _segment_length(policy: str, every: int | None, steps: int) -> int | None:
    """The checkpoint policy's segment length (None: no segments)."""
    if policy != "checkpoint":
        return None
    if every is None:
        # The divisor of T nearest sqrt(T) within a factor 2 (no remainder
        # segment, whose slicing would copy the sequence), else ceil(sqrt(T)).
        root = math.sqrt(steps)
        near = [d for d in range(max(1, math.ceil(root / 2)), math.floor(2 * root) + 1)
                if steps % d == 0]
        return min(near, key=lambda d: abs(d - root)) if near else math.ceil(root)
    return min(every, steps)


def _scan(step: Any, state: Any, xs: Any, steps: int, policy: str, every: Any,
          checkpoint_policy: Any) -> tuple[Any, Any]:
    """``lax.scan(step, state, xs)``, the steps grouped into checkpointed segments."""
    k = _segment_length(policy, every, steps)
    if k is None:
        return jax.lax.scan(step, state, xs)

    def segment(state, xs):
        return jax.lax.scan(step, state, xs)

    segment = jax.checkpoint(segment, policy=checkpoint_policy)

    whole, rest = divmod(steps, k)
    head = jax.tree.map(lambda a: a[:whole * k].reshape((whole, k, *a.shape[1:])), xs)
    state, ys = jax.lax.scan(segment, state, head)
    ys = jax.tree.map(lambda a: a.reshape((whole * k, *a.shape[2:])), ys)
    if rest:
        state, tail = segment(state, jax.tree.map(lambda a: a[whole * k:], xs))
        ys = jax.tree.map(lambda a, b: jnp.concatenate([a, b]), ys, tail)
    return state, ys


def _spiking_scan(name: str, step: Any, inputs: Any, state: Any, key: Any, potentials: bool,
                  policy: str, every: Any, checkpoint_policy: Any,
                  params: Any = None) -> tuple[Any, ...]:
    """A LIF scan: ``step(x, state, key, params) -> (z, state)`` over ``inputs``, a key
    per step; ``params`` (the parameters and weights) are what "sltt" differentiates."""
    steps = _length(name, inputs)
    _check_policy(name, policy, every, checkpoint_policy)
    keys = None if key is None else jax.random.split(key, steps)

    def output(z, s):
        return (z, s.v) if potentials else z

    if policy == "sltt":
        def outputs_and_state(x, s, k, ps):
            z, s = step(x, s, k, ps)
            return output(z, s), s

        ys, state = _sltt(outputs_and_state, inputs, state, keys, params)
    else:
        def body(s, xs):
            z, s = step(xs[0], s, xs[1], params)
            return s, output(z, s)

        state, ys = _scan(body, state, (inputs, keys), steps, policy, every,
                          checkpoint_policy)
    return (ys[0], state, ys[1]) if potentials else (ys, state)


def _is_float(leaf: Any) -> bool:
    return jnp.issubdtype(jnp.result_type(leaf), jnp.inexact)


def _sltt(step: Any, inputs: Any, state: Any, keys: Any, params: Any) -> tuple[Any, Any]:
    """``lax.scan`` of ``step(x, s, k, params) -> (y, s)`` whose gradient cuts the carry.

    The backward pass runs the steps again in time order; at each, the
    vector-Jacobian product of that one step (its input and the parameters,
    the state it starts from held constant) turns the step's output cotangent
    into its input's cotangent and a term of the parameters' gradient, summed
    in the carry. Kept for it: the initial state; nothing per step.
    """
    leaves, tree = jax.tree.flatten(params)
    learnable = [_is_float(leaf) for leaf in leaves]

    def merge(floats, others):
        floats, others = iter(floats), iter(others)
        return jax.tree.unflatten(tree, [next(floats) if f else next(others)
                                         for f in learnable])

    # Arrays, weakly typed where the leaf is a Python number, as jax.grad makes them.
    floats = [jnp.asarray(leaf) for leaf, f in zip(leaves, learnable) if f]
    others = [leaf for leaf, f in zip(leaves, learnable) if not f]

    def forward(inputs, state, floats, others, keys):
        ps = merge(floats, others)

        def body(s, xs):
            y, s = step(xs[0], s, xs[1], ps)
            return s, y

        state, ys = jax.lax.scan(body, state, (inputs, keys))
        return ys, state

    @jax.custom_vjp
    def run(inputs, state, floats, others, keys):
        return forward(inputs, state, floats, others, keys)

    def run_forward(inputs, state, floats, others, keys):
        return forward(inputs, state, floats, others, keys), (inputs, state, floats, others,
                                                               keys)

    def run_backward(saved, cotangents):
        inputs, state, floats, others, keys = saved
        ct_ys, ct_last = cotangents
        steps = jnp.shape(inputs)[0]

        def body(carry, xs):
            s, total, t = carry
            x, k, ct_y = xs
            is_last = t == steps - 1  # a counter: a [T] mask would be kept per step

            def one_step(x, floats):
                return step(x, s, k, merge(floats, others))

            (_, s_next), vjp = jax.vjp(one_step, x, floats)
            # The final state's cotangent enters at the last step only; a
            # state carried on to another step passes none back (the cut).
            ct_s = jax.tree.map(lambda c: jnp.where(is_last, c, jnp.zeros_like(c)), ct_last)
            ct_x, ct_floats = vjp((ct_y, ct_s))
            return (s_next, jax.tree.map(jnp.add, total, ct_floats), t + 1), ct_x

        zeros = jax.tree.map(jnp.zeros_like, floats)
        (_, ct_floats, _), ct_inputs = jax.lax.scan(body, (state, zeros, 0),
                                                    (inputs, keys, ct_ys))
        return ct_inputs, jax.tree.map(jnp.zeros_like, state), ct_floats, None, None

    run.defvjp(run_forward, run_backward)
    return run(inputs, state, floats, others, keys)


def lif_feed_forward_scan(
    inputs: Any,
    state: Any,
    p: LIFParameters = LIFParameters(),
    dt: float = 0.001,
    *,
    policy: str = "full",
    every: int | None = None,
    checkpoint_policy: Any = None,
    key: Any = None,
    residual_dtype: Any = None,
    potentials: bool = False,
    input_weights: Any = None,
) -> tuple[Any, ...]:
    r"""``lif_feed_forward_step`` over a whole sequence, with a memory policy.

    .. math::
        (z_t, s_t) = \mathrm{step}(x_t, s_{t-1}), \qquad t = 1 \ldots T

    or, with ``input_weights`` W, :math:`\mathrm{step}(W x_t, s_{t-1})`.

    Args:
        inputs: the input currents, time-major ``[T, ...]``; with
            ``input_weights``, the inputs ``[T, ..., in]`` they weight.
        state: ``LIFFeedForwardState(v, i)`` before the first step.
        p: the parameters.
        dt: the Euler time step (s).
        policy: ``"full"``, ``"checkpoint"`` or ``"sltt"`` (see the module's
            text); ``"sltt"`` gives SLTT's approximate gradient and keeps
            nothing per step.
        every: the checkpoint policy's segment length; None for the divisor
            of T nearest ``sqrt(T)`` (``ceil(sqrt(T))`` if none is within a
            factor 2). A length that does not divide T leaves a last, shorter
            segment, whose slicing copies the sequence once.
        checkpoint_policy: a ``jax.checkpoint_policies`` entry for what a
            segment keeps; None keeps nothing (recomputes the segment).
        key: a PRNG key for a stochastic ``p.method``, split into one per step.
        residual_dtype: passed to each step's :func:`fire`.
        potentials: also return the potentials ``v`` after each step.
        input_weights: ``(out, in)`` (Norse's layout): the layer's weights,
            applied inside each step, so that no ``[T, ..., out]`` array of
            currents is made or kept (a checkpointed segment recomputes them).

    Returns:
        ``(spikes [T, ...], final state)``, and ``v [T, ...]`` with
        ``potentials``: what a loop of ``lif_feed_forward_step`` gives, bit
        for bit.

    Example:
        >>> import jax.numpy as jnp, jaxsurrogate as js
        >>> n = js.neurons
        >>> s = n.LIFFeedForwardState(v=jnp.zeros(2), i=jnp.zeros(2))
        >>> z, s = n.lif_feed_forward_scan(jnp.full((4, 2), 3.0), s, policy="checkpoint")
        >>> z[:, 0]
        Array([0., 0., 1., 0.], dtype=float32)

    Reference:
        Norse 1.1.0, ``norse.torch.functional.lif.lif_feed_forward_step`` in
        a loop; Chen et al., "Training deep nets with sublinear memory cost"
        (2016) for the checkpoint segments; Meng et al., "Towards memory- and
        time-efficient backpropagation for training spiking neural networks"
        (ICCV 2023) for SLTT (their ``SLTTNeuron``, github.com/qymeng94/SLTT,
        ``modules/neuron.py``).
    """
    weigh, weights = _weighing("lif_feed_forward_scan", inputs, state, input_weights)
    return _spiking_scan(
        "lif_feed_forward_scan",
        lambda x, s, k, pw: lif_feed_forward_step(weigh(x, pw[1]), s, pw[0], dt, key=k,
                                                  residual_dtype=residual_dtype),
        inputs, state, key, potentials, policy, every, checkpoint_policy, (p, weights))


def _weighing(name: str, inputs: Any, state: Any, weights: Any) -> tuple[Any, Any]:
    """The step's input map ``(x, W) ->`` x, or ``x @ W.T`` in the step's float dtype,
    and W checked against the input and the state (Norse's ``(out, in)`` layout)."""
    if weights is None:
        return (lambda x, w: x), None
    _length(name, inputs)  # before the first step is read for its shape
    arrays, dtype = _floats(name, inputs=inputs, **{"state.v": state.v})
    w = _weight_arrays(name, input_weights=weights)["input_weights"]
    _weights_driving(name, "input_weights", w, arrays["inputs"][0], state)
    return (lambda x, w: _linear(x, w, dtype)), w


def _weights_driving(name: str, arg: str, weights: Any, x: Any, state: Any) -> None:
    """``weights`` checked against one step's input ``x`` and the state whose
    neurons they drive (Norse's ``(out, in)`` layout)."""
    n_out = jnp.shape(state.v)[-1] if jnp.ndim(state.v) else None
    _weights(name, arg, weights, x, n_out)


def lif_scan(
    inputs: Any,
    state: Any,
    input_weights: Any,
    recurrent_weights: Any,
    p: LIFParameters = LIFParameters(),
    dt: float = 0.001,
    *,
    policy: str = "full",
    every: int | None = None,
    checkpoint_policy: Any = None,
    key: Any = None,
    residual_dtype: Any = None,
    potentials: bool = False,
) -> tuple[Any, ...]:
    r"""``lif_step`` (recurrent) over a whole sequence, with a memory policy.

    .. math::
        (z_t, s_t) = \mathrm{step}(x_t, s_{t-1}; W_{in}, W_{rec}), \qquad t = 1 \ldots T

    Args:
        inputs: the input spikes, time-major ``[T, ..., in]``.
        state: ``LIFState(z, v, i)`` before the first step.
        input_weights: ``(out, in)``.
        recurrent_weights: ``(out, out)``.
        p: the parameters.
        dt: the Euler time step (s).
        policy: ``"full"`` or ``"checkpoint"``.
        every: the checkpoint policy's segment length; None for about ``sqrt(T)``.
        checkpoint_policy: what a checkpointed segment keeps; None: nothing.
        key: a PRNG key for a stochastic ``p.method``, split into one per step.
        residual_dtype: passed to each step's :func:`fire`.
        potentials: also return the potentials after each step.

    Returns:
        ``(spikes [T, ..., out], final state)``, and ``v`` with ``potentials``.

    Example:
        >>> import jax.numpy as jnp, jaxsurrogate as js
        >>> n = js.neurons
        >>> s = n.LIFState(z=jnp.zeros(2), v=jnp.zeros(2), i=jnp.zeros(2))
        >>> w_in, w_rec = jnp.array([[5.0], [20.0]]), jnp.zeros((2, 2))
        >>> z, s = n.lif_scan(jnp.ones((3, 1)), s, w_in, w_rec)
        >>> z[:, 1]
        Array([1., 1., 1.], dtype=float32)

    Reference:
        Norse 1.1.0, ``norse.torch.functional.lif.lif_step`` in a loop.
    """
    return _spiking_scan(
        "lif_scan",
        lambda x, s, k, _: lif_step(x, s, input_weights, recurrent_weights, p, dt, key=k,
                                    residual_dtype=residual_dtype),
        inputs, state, key, potentials, policy, every, checkpoint_policy)


def li_feed_forward_scan(
    inputs: Any,
    state: Any,
    p: LIParameters = LIParameters(),
    dt: float = 0.001,
    *,
    policy: str = "full",
    every: int | None = None,
    checkpoint_policy: Any = None,
) -> tuple[Any, Any]:
    r"""``li_feed_forward_step`` over a whole sequence, with a memory policy.

    .. math::
        (v_t, s_t) = \mathrm{step}(x_t, s_{t-1}), \qquad t = 1 \ldots T

    Args:
        inputs: the input currents, time-major ``[T, ...]``.
        state: ``LIState(v, i)`` before the first step.
        p: the parameters.
        dt: the Euler time step (s).
        policy: ``"full"`` or ``"checkpoint"``.
        every: the checkpoint policy's segment length; None for about ``sqrt(T)``.
        checkpoint_policy: what a checkpointed segment keeps; None: nothing.

    Returns:
        ``(potentials [T, ...], final state)``.

    Example:
        >>> import jax.numpy as jnp, jaxsurrogate as js
        >>> n = js.neurons
        >>> v, s = n.li_feed_forward_scan(jnp.ones((3, 1)), n.LIState(jnp.zeros(1), jnp.zeros(1)))
        >>> v[:, 0]
        Array([0.1       , 0.27      , 0.48700002], dtype=float32)

    Reference:
        Norse 1.1.0, ``norse.torch.functional.leaky_integrator.li_feed_forward_step``
        in a loop.
    """
    name = "li_feed_forward_scan"
    steps = _length(name, inputs)
    _check_policy(name, policy, every, checkpoint_policy)

    def step(s, x):
        v, s = li_feed_forward_step(x, s, p, dt)
        return s, v

    return _scan(step, state, inputs, steps, policy, every, checkpoint_policy)[::-1]
