"""Norse 1.1.0's LIF and leaky-integrator steps (``norse.torch.functional``), in JAX.

Same equations, order of operations, defaults and argument order as Norse's
``lif.py`` and ``leaky_integrator.py``; the spike and reset go through
:func:`fire`. States and parameters are NamedTuples, hence pytrees: parameters
can be traced, per neuron (arrays broadcastable to the state) and learned.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

import jaxsurrogate as js
from jaxsurrogate._src.catalogue.norse import METHODS
from jaxsurrogate._src.fire import fire

Array = jax.Array

# Norse's threshold methods, as in js.threshold: a user's registry entry can't
# change what "super" means inside a Norse neuron.
NORSE_METHODS = METHODS


class LIFParameters(NamedTuple):
    """Parameters of a LIF neuron, Norse's ``LIFParameters``.

    The numbers are float32 scalars, as Norse's defaults are float32 tensors:
    ``dt * tau_mem_inv`` is then a float32 product (0.1 rounded to float32,
    0.10000000149...) even in a float64 network, exactly as in Norse. For
    float64 coefficients, pass float64 arrays or Python floats (a product of
    Python numbers is taken in double precision, then cast to the state's
    dtype, also as in Norse).

    Attributes:
        tau_syn_inv: inverse synaptic time constant (1/s).
        tau_mem_inv: inverse membrane time constant (1/s).
        v_leak: leak potential.
        v_th: threshold (receives a gradient, through :func:`fire`).
        v_reset: reset potential.
        method: Norse's threshold method (``"super"``, ``"triangle"``,
            ``"tanh"``, ``"circ"``, ``"heavi_erfc"``, ``"heaviside"``), or any
            jaxsurrogate spike function, registry name or preset. Static:
            not a leaf of the pytree.
        alpha: the method's alpha (SuperSpike uses it, unlike Norse
            1.1.0's, which computes alpha = 1).

    Example:
        >>> import jax, jaxsurrogate as js
        >>> p = js.neurons.LIFParameters(method="tanh", alpha=2.0)
        >>> len(jax.tree.leaves(p)), p.method
        (6, 'tanh')
    """

    tau_syn_inv: Any = np.float32(1.0 / 5e-3)
    tau_mem_inv: Any = np.float32(1.0 / 1e-2)
    v_leak: Any = np.float32(0.0)
    v_th: Any = np.float32(1.0)
    v_reset: Any = np.float32(0.0)
    method: Any = "super"
    alpha: Any = np.float32(100.0)


_ARRAY_FIELDS = tuple(f for f in LIFParameters._fields if f != "method")

jax.tree_util.register_pytree_node(
    LIFParameters,
    lambda p: (tuple(getattr(p, f) for f in _ARRAY_FIELDS), p.method),
    lambda method, leaves: LIFParameters(**dict(zip(_ARRAY_FIELDS, leaves)), method=method),
)


class LIFState(NamedTuple):
    """State of a recurrent LIF neuron: spikes ``z``, potential ``v``, current ``i``."""

    z: Any
    v: Any
    i: Any


class LIFFeedForwardState(NamedTuple):
    """State of a feed-forward LIF neuron: potential ``v``, current ``i``."""

    v: Any
    i: Any


class LIParameters(NamedTuple):
    """Parameters of a leaky integrator, Norse's ``LIParameters`` (float32, as there)."""

    tau_syn_inv: Any = np.float32(1.0 / 5e-3)
    tau_mem_inv: Any = np.float32(1.0 / 1e-2)
    v_leak: Any = np.float32(0.0)


class LIState(NamedTuple):
    """State of a leaky integrator: potential ``v``, current ``i``."""

    v: Any
    i: Any


def _spike_of(method: Any) -> Any:
    if isinstance(method, str):
        return NORSE_METHODS[method] if method in NORSE_METHODS else js.get(method)
    if not isinstance(getattr(method, "declaration", None), js.Declaration):
        raise TypeError(
            f"LIFParameters.method must be one of Norse's methods {sorted(NORSE_METHODS)}, a "
            f"registry name or a jaxsurrogate spike function, got {method!r}"
        )
    return method


def _rate(dt: Any, rate: Any, dtype: Any) -> Array:
    """``dt * rate`` as Norse computes it, then in the state's dtype.

    Torch multiplies a Python number and a tensor in the tensor's dtype: a
    float32 parameter gives a float32 product even in a float64 network.
    """
    if isinstance(rate, (int, float)) and isinstance(dt, (int, float)):
        return jnp.asarray(dt * rate, dtype)
    rate = jnp.asarray(rate)
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


def _dtype(*arrays: Any) -> Any:
    return jnp.result_type(*(a for a in arrays if a is not None))


def _fire(v_decayed, p, detach, key, residual_dtype):
    spike = _spike_of(p.method)
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
    )


def lif_feed_forward_step(
    input_tensor: Any,
    state: LIFFeedForwardState,
    p: LIFParameters,
    dt: float = 0.001,
    *,
    key: Any = None,
    residual_dtype: Any = None,
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
    dtype = _dtype(input_tensor, state.v, state.i)
    i_jump = _in(state.i, dtype) + _in(input_tensor, dtype)
    v_decayed, i_decayed = _integrate(_in(state.v, dtype), i_jump, p, dt, dtype)
    z, v_new = _fire(v_decayed, p, False, key, residual_dtype)
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
    dtype = _dtype(input_spikes, state.z, state.v, state.i)
    i_jump = (
        _in(state.i, dtype)
        + _linear(input_spikes, input_weights, dtype)
        + _linear(state.z, recurrent_weights, dtype)
    )
    v_decayed, i_decayed = _integrate(_in(state.v, dtype), i_jump, p, dt, dtype)
    z, v_new = _fire(v_decayed, p, True, key, residual_dtype)
    return z, LIFState(z, v_new, i_decayed)


def li_feed_forward_step(
    input_tensor: Any,
    state: LIState,
    p: LIParameters = LIParameters(),
    dt: float = 0.001,
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
    dtype = _dtype(input_tensor, state.v, state.i)
    i_jump = _in(state.i, dtype) + _in(input_tensor, dtype)
    v_new, i_decayed = _integrate(_in(state.v, dtype), i_jump, p, dt, dtype)
    return v_new, LIState(v_new, i_decayed)


def li_step(
    input_spikes: Any,
    state: LIState,
    input_weights: Any,
    p: LIParameters = LIParameters(),
    dt: float = 0.001,
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
    dtype = _dtype(input_spikes, state.v, state.i)
    i_jump = _in(state.i, dtype) + _linear(input_spikes, input_weights, dtype)
    v_new, i_decayed = _integrate(_in(state.v, dtype), i_jump, p, dt, dtype)
    return v_new, LIState(v_new, i_decayed)
