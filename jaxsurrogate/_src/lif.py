"""Norse 1.1.0's LIF and leaky-integrator steps (``norse.torch.functional``), in JAX.

Same equations, order of operations, defaults and argument order as Norse's
``lif.py`` and ``leaky_integrator.py``; the spike and reset go through
:func:`fire`. States and parameters are NamedTuples, hence pytrees: parameters
can be traced, per neuron (arrays broadcastable to the state) and learned.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from jaxsurrogate._src import validation
from jaxsurrogate._src.fire import MODES, fire
from jaxsurrogate._src.lif_types import (
    LIFFeedForwardState,
    LIFParameters,
    LIFState,
    LIParameters,
    LIState,
    spike_of,
)

Array = jax.Array


def _rate(dt: Any, rate: Any, dtype: Any) -> Array:
    """``dt * rate`` as Norse computes it, then in the state's dtype.

    Torch multiplies a Python number and a tensor in the tensor's dtype: a
    float32 parameter gives a float32 product even in a float64 network. An
    integer time constant is taken in the state's dtype first (torch, too,
    makes a float of ``dt * int_tensor``), never the product in integers.
    """
    if isinstance(rate, (int, float)) and isinstance(dt, (int, float)):
        return jnp.asarray(dt * rate, dtype)
    rate = jnp.asarray(rate)
    if not jnp.issubdtype(rate.dtype, jnp.floating):
        rate = rate.astype(dtype)
    return (jnp.asarray(dt, rate.dtype) * rate).astype(dtype)


def _in(value: Any, dtype: Any, shape: tuple | None = None) -> Array:
    """``value`` in ``dtype``; per-neuron values broadcast to ``shape`` explicitly
    (so that rank promotion "raise" holds)."""
    value = jnp.asarray(value).astype(dtype)
    if shape is None or value.ndim == 0:
        return value
    return jnp.broadcast_to(value, shape)


def _integrate(v, i_jump, p, dt, dtype):
    """Norse's Euler step of v and i, operation for operation."""
    shape = jnp.broadcast_shapes(jnp.shape(v), jnp.shape(i_jump))
    v, i_jump = _in(v, dtype, shape), _in(i_jump, dtype, shape)
    mem, syn = (_in(_rate(dt, p.tau_mem_inv, dtype), dtype, shape),
                _in(_rate(-dt, p.tau_syn_inv, dtype), dtype, shape))
    v_decayed = v + mem * ((_in(p.v_leak, dtype, shape) - v) + i_jump)
    i_decayed = i_jump + syn * i_jump
    return v_decayed, i_decayed


def _linear(x: Array, weights: Any, dtype: Any) -> Array:
    """torch's ``linear(x, W)``: ``x @ W.T``, weights in ``(out, in)`` layout."""
    return jnp.matmul(_in(x, dtype), _in(weights, dtype).T)


def _floats(step: str, **arrays: Any) -> tuple[dict[str, Array], Any]:
    """The step's arrays, each of a float dtype (integers are refused, as by ``fire``),
    and the dtype the step runs in."""
    checked = {name: validation.floating_array(a, step, name) for name, a in arrays.items()}
    return checked, jnp.result_type(*checked.values())


def _weight_arrays(step: str, **weights: Any) -> dict[str, Array]:
    """The weights, of a float dtype; cast to the step's dtype where used (as Norse's
    parameters are), so they do not set it."""
    return {name: validation.floating_array(w, step, name) for name, w in weights.items()}


def _neuron_shape(step: str, **arrays: Array) -> tuple:
    """The shape the named arrays broadcast to, or an error naming them."""
    try:
        return jnp.broadcast_shapes(*(jnp.shape(a) for a in arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{name} {tuple(jnp.shape(a))}" for name, a in arrays.items())
        raise ValueError(f"{step}: the shapes of {shapes} do not broadcast together; the "
                         f"input and the state need one entry per neuron") from None


def _weights(step: str, arg: str, weights: Any, x: Array, n_out: int | None) -> None:
    """Weights in Norse's ``(out, in)`` layout, matching the input and the state."""
    shape = tuple(jnp.shape(weights))
    n_in = jnp.shape(x)[-1] if jnp.ndim(x) else None
    if len(shape) != 2 or shape[1] != n_in or (n_out is not None and shape[0] != n_out):
        want = f"({'out' if n_out is None else n_out}, {n_in})"
        raise ValueError(f"{step}: {arg} of shape {shape} does not fit: Norse's layout is "
                         f"(out, in), here {want} for an input of shape {tuple(jnp.shape(x))}")


def _parameters(step: str, p: Any, shape: tuple, dtype: Any) -> None:
    """Each parameter a number or one per neuron, broadcastable to the state."""
    like = jax.ShapeDtypeStruct(shape, dtype)
    for field in p._fields:
        value = getattr(p, field)
        if field != "method" and value is not None:
            validation.broadcastable(value, f"p.{field}", like, step, against="the state")


def _mode(step: str, mode: Any) -> str:
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(f"{step}: mode must be one of {', '.join(map(repr, MODES))}, got "
                         f"{mode!r}")
    return mode


def _fire(v_decayed, p, detach, key, residual_dtype, mode):
    spike = spike_of(p.method)
    # Norse passes alpha to every method; a shape without one (heaviside) ignores it.
    alpha = None if spike.declaration.alpha is None else p.alpha
    return fire(
        v_decayed,
        p.v_th,
        spike=spike,
        alpha=alpha,
        reset="zero",
        v_reset=p.v_reset,
        detach_reset=detach,
        key=key,
        residual_dtype=residual_dtype,
        # alpha is a parameter like the others: learnable where the method has
        # a primitive S (its cotangent is then d/dalpha of S).
        learn_alpha=spike.declaration.learnable,
        mode=mode,
    )


def lif_feed_forward_step(
    input_tensor: Any,
    state: LIFFeedForwardState,
    p: LIFParameters,
    dt: float = 0.001,
    *,
    key: Any = None,
    residual_dtype: Any = None,
    mode: str = "reverse",
) -> tuple[Array, LIFFeedForwardState]:
    r"""One Euler step of a feed-forward LIF neuron, Norse's ``lif_feed_forward_step``.

    .. math::
        \begin{aligned}
        i' &= i + I_{in}, \qquad
        \bar v = v + \Delta t\,\tau_{mem}^{-1} \left((v_{leak} - v) + i'\right), \\
        z &= H(\bar v - v_{th}), \qquad
        v_{new} = (1 - z)\,\bar v + z\, v_{reset}, \qquad
        i_{new} = i' - \Delta t\,\tau_{syn}^{-1}\, i'
        \end{aligned}

    The reset carries the spikes' gradient (Norse's feed-forward step does not
    detach it); the spike and reset are one :func:`fire`.

    Args:
        input_tensor: the input current of this step (any layer's output).
        state: ``LIFFeedForwardState(v, i)``, arrays broadcastable together.
        p: the parameters; numbers or per-neuron arrays.
        dt: the Euler time step (s).
        key: a PRNG key, only for a stochastic ``p.method``.
        residual_dtype: passed to :func:`fire` (e.g. ``jnp.bfloat16``).
        mode: ``"reverse"`` or ``"forward"`` (the spike's forward-mode
            twin, for ``jax.jacfwd`` and ``jax.hessian``), as in :func:`fire`.

    Returns:
        ``(z, LIFFeedForwardState(v_new, i_new))``, in the dtype of the input
        and state (parameters are cast to it).

    Example:
        >>> import jax.numpy as jnp, jaxsurrogate as js
        >>> n = js.neurons
        >>> s = n.LIFFeedForwardState(v=jnp.zeros(2), i=jnp.zeros(2))
        >>> z, s = n.lif_feed_forward_step(jnp.array([5.0, 20.0]), s, n.LIFParameters())
        >>> z, s.v
        (Array([0., 1.], dtype=float32), Array([0.5, 0. ], dtype=float32))

    Reference:
        Norse 1.1.0, ``norse.torch.functional.lif.lif_feed_forward_step``.
    """
    step = "lif_feed_forward_step"
    mode = _mode(step, mode)
    a, dtype = _floats(step, input_tensor=input_tensor, **{"state.v": state.v, "state.i": state.i})
    _parameters(step, p, _neuron_shape(step, **a), dtype)
    i_jump = _in(a["state.i"], dtype) + _in(a["input_tensor"], dtype)
    v_decayed, i_decayed = _integrate(_in(a["state.v"], dtype), i_jump, p, dt, dtype)
    z, v_new = _fire(v_decayed, p, False, key, residual_dtype, mode)
    return z, LIFFeedForwardState(v=v_new, i=i_decayed)


def lif_step(
    input_spikes: Any,
    state: LIFState,
    input_weights: Any,
    recurrent_weights: Any,
    p: LIFParameters,
    dt: float = 0.001,
    *,
    key: Any = None,
    residual_dtype: Any = None,
    mode: str = "reverse",
) -> tuple[Array, LIFState]:
    r"""One Euler step of a recurrent LIF layer, Norse's ``lif_step``.

    .. math::
        \begin{aligned}
        i' &= i + W_{in} x + W_{rec} z_{prev}, \qquad
        \bar v = v + \Delta t\,\tau_{mem}^{-1} \left((v_{leak} - v) + i'\right), \\
        z &= H(\bar v - v_{th}), \qquad
        v_{new} = (1 - \tilde z)\,\bar v + \tilde z\, v_{reset}, \qquad
        i_{new} = i' - \Delta t\,\tau_{syn}^{-1}\, i'
        \end{aligned}

    with :math:`\tilde z = \mathrm{stop\_gradient}(z)`: Norse's recurrent step
    detaches the spikes in the reset (its feed-forward step does not). The
    spikes keep their gradient into the next step's recurrent current.

    Args:
        input_spikes: the input of this step, ``(..., in)``.
        state: ``LIFState(z, v, i)``; ``z`` is the previous step's spikes.
        input_weights: ``(out, in)``, Norse's (and torch ``linear``'s) layout.
        recurrent_weights: ``(out, out)``.
        p: the parameters; numbers or per-neuron arrays.
        dt: the Euler time step (s).
        key: a PRNG key, only for a stochastic ``p.method``.
        residual_dtype: passed to :func:`fire`.
        mode: ``"reverse"`` or ``"forward"`` (the spike's forward-mode
            twin, for ``jax.jacfwd`` and ``jax.hessian``), as in :func:`fire`.

    Returns:
        ``(z, LIFState(z, v_new, i_new))``.

    Example:
        >>> import jax.numpy as jnp, jaxsurrogate as js
        >>> n = js.neurons
        >>> s = n.LIFState(z=jnp.zeros(2), v=jnp.zeros(2), i=jnp.zeros(2))
        >>> w_in, w_rec = jnp.array([[5.0], [20.0]]), jnp.zeros((2, 2))
        >>> z, s = n.lif_step(jnp.ones(1), s, w_in, w_rec, n.LIFParameters())
        >>> z
        Array([0., 1.], dtype=float32)

    Reference:
        Norse 1.1.0, ``norse.torch.functional.lif.lif_step``.
    """
    step = "lif_step"
    mode = _mode(step, mode)
    a, dtype = _floats(step, input_spikes=input_spikes,
                       **{"state.z": state.z, "state.v": state.v, "state.i": state.i})
    a.update(_weight_arrays(step, input_weights=input_weights,
                            recurrent_weights=recurrent_weights))
    state_shape = _neuron_shape(step, **{k: a[k] for k in ("state.z", "state.v", "state.i")})
    n_out = state_shape[-1] if state_shape else None
    _weights(step, "input_weights", a["input_weights"], a["input_spikes"], n_out)
    _weights(step, "recurrent_weights", a["recurrent_weights"], a["state.z"], n_out)
    current = jax.ShapeDtypeStruct((*jnp.shape(a["input_spikes"])[:-1], n_out), dtype)
    shape = _neuron_shape(step, **{"the input current W_in x": current, "the state": a["state.v"]})
    _parameters(step, p, shape, dtype)
    i_jump = (
        _in(a["state.i"], dtype)
        + _linear(a["input_spikes"], a["input_weights"], dtype)
        + _linear(a["state.z"], a["recurrent_weights"], dtype)
    )
    v_decayed, i_decayed = _integrate(_in(a["state.v"], dtype), i_jump, p, dt, dtype)
    z, v_new = _fire(v_decayed, p, True, key, residual_dtype, mode)
    return z, LIFState(z, v_new, i_decayed)


def li_feed_forward_step(
    input_tensor: Any,
    state: LIState,
    p: LIParameters = LIParameters(),
    dt: float = 0.001,
    *,
    mode: str = "reverse",
) -> tuple[Array, LIState]:
    r"""One Euler step of a leaky integrator, Norse's ``li_feed_forward_step``.

    .. math::
        i' = i + I_{in}, \qquad
        v_{new} = v + \Delta t\,\tau_{mem}^{-1} \left((v_{leak} - v) + i'\right), \qquad
        i_{new} = i' - \Delta t\,\tau_{syn}^{-1}\, i'

    Args:
        input_tensor: the input current of this step.
        state: ``LIState(v, i)``.
        p: the parameters.
        dt: the Euler time step (s).
        mode: ``"reverse"`` or ``"forward"``, as the LIF steps take it; a leaky
            integrator has no spike, so both modes are the same code.

    Returns:
        ``(v_new, LIState(v_new, i_new))``: the membrane potential is the
        output (a readout that never spikes).

    Example:
        >>> import jax.numpy as jnp, jaxsurrogate as js
        >>> n = js.neurons
        >>> v, s = n.li_feed_forward_step(jnp.ones(1), n.LIState(jnp.zeros(1), jnp.zeros(1)))
        >>> v, s.i
        (Array([0.1], dtype=float32), Array([0.8], dtype=float32))

    Reference:
        Norse 1.1.0, ``norse.torch.functional.leaky_integrator.li_feed_forward_step``.
    """
    step = "li_feed_forward_step"
    _mode(step, mode)
    a, dtype = _floats(step, input_tensor=input_tensor, **{"state.v": state.v, "state.i": state.i})
    _parameters(step, p, _neuron_shape(step, **a), dtype)
    i_jump = _in(a["state.i"], dtype) + _in(a["input_tensor"], dtype)
    v_new, i_decayed = _integrate(_in(a["state.v"], dtype), i_jump, p, dt, dtype)
    return v_new, LIState(v_new, i_decayed)


def li_step(
    input_spikes: Any,
    state: LIState,
    input_weights: Any,
    p: LIParameters = LIParameters(),
    dt: float = 0.001,
    *,
    mode: str = "reverse",
) -> tuple[Array, LIState]:
    r"""One Euler step of a leaky integrator with weighted input, Norse's ``li_step``.

    .. math::
        i' = i + W_{in} x, \qquad
        v_{new} = v + \Delta t\,\tau_{mem}^{-1} \left((v_{leak} - v) + i'\right), \qquad
        i_{new} = i' - \Delta t\,\tau_{syn}^{-1}\, i'

    Args:
        input_spikes: the input of this step, ``(..., in)``.
        state: ``LIState(v, i)``.
        input_weights: ``(out, in)``, Norse's layout.
        p: the parameters.
        dt: the Euler time step (s).
        mode: ``"reverse"`` or ``"forward"``, as the LIF steps take it; a leaky
            integrator has no spike, so both modes are the same code.

    Returns:
        ``(v_new, LIState(v_new, i_new))``.

    Example:
        >>> import jax.numpy as jnp, jaxsurrogate as js
        >>> n = js.neurons
        >>> s = n.LIState(jnp.zeros(1), jnp.zeros(1))
        >>> n.li_step(jnp.ones(2), s, jnp.array([[0.5, 0.5]]))[0]
        Array([0.1], dtype=float32)

    Reference:
        Norse 1.1.0, ``norse.torch.functional.leaky_integrator.li_step``.
    """
    step = "li_step"
    _mode(step, mode)
    a, dtype = _floats(step, input_spikes=input_spikes, **{"state.v": state.v, "state.i": state.i})
    a.update(_weight_arrays(step, input_weights=input_weights))
    state_shape = _neuron_shape(step, **{k: a[k] for k in ("state.v", "state.i")})
    n_out = state_shape[-1] if state_shape else None
    _weights(step, "input_weights", a["input_weights"], a["input_spikes"], n_out)
    current = jax.ShapeDtypeStruct((*jnp.shape(a["input_spikes"])[:-1], n_out), dtype)
    shape = _neuron_shape(step, **{"the input current W_in x": current, "the state": a["state.v"]})
    _parameters(step, p, shape, dtype)
    i_jump = _in(a["state.i"], dtype) + _linear(a["input_spikes"], a["input_weights"], dtype)
    v_new, i_decayed = _integrate(_in(a["state.v"], dtype), i_jump, p, dt, dtype)
    return v_new, LIState(v_new, i_decayed)
