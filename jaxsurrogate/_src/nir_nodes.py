"""NIR's node types as JAX steps: one declaration per type.

Each :class:`Kind` says which of a node's fields are parameters (a pytree of
arrays, learnable), which are structure (static: strides, shapes, delays),
the node's initial state and its step ``(params, state, x) -> (state, y)``.
``x`` carries any leading batch axes before the node's own shape (NIR's
types are per sample).

The neuron equations are NIR's (``nir/ir/neuron.py``), integrated over the
reader's ``dt`` as :class:`Reading` says: forward Euler or the exact
exponential, the synapse and the reset as the file's convention means them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from jaxsurrogate._src.fire import fire
from jaxsurrogate._src.nir_conventions import Convention

Array = jax.Array


class NIRError(ValueError):
    """A NIR graph this library cannot run as written; the message names the node."""


@dataclasses.dataclass(frozen=True)
class Reading:
    """How a graph's equations are stepped: the caller's choices and the file's convention."""

    dt: float
    integrator: str  # "euler" or "exact"
    convention: Convention
    spike: Any
    alpha: Any
    dtype: Any


@dataclasses.dataclass(frozen=True)
class Kind:
    """One NIR node type: its parameters, structure, state and step."""

    params: tuple[str, ...]
    step: Callable[..., tuple[dict, Array]]
    # node, reading -> static structure; given, the step takes it as ``structure=``.
    structure: Callable[[Any, Reading], dict] | None = None
    # params, structure, shape, dtype, reading -> the state before the first step.
    state: Callable[[dict, dict, tuple, Any, Reading], dict] = lambda p, s, shape, dtype, r: {}
    taus: tuple[str, ...] = ()

    @property
    def neuron(self) -> bool:
        """Whether the type is a neuron (NIR's neurons, and only they, have a resistance r)."""
        return "r" in self.params


# ---------------------------------------------------------------- neurons


def _decay(tau, reading: Reading):
    """What one step leaves of a potential without input (gain-one conventions)."""
    if reading.integrator == "exact":
        return jnp.exp(-reading.dt / tau)
    return jnp.clip(1.0 - reading.dt / tau, 0.0, 1.0)  # Spyx's beta


def _membrane(v, v_leak, tau, r, current, reading: Reading):
    """``tau dv/dt = (v_leak - v) + r I`` over one step, I held over the step."""
    if reading.convention.gain == "one":  # v_leak is 0 (checked on reading)
        return _decay(tau, reading) * v + current
    if reading.integrator == "exact":
        target = v_leak + r * current
        return target + (v - target) * jnp.exp(-reading.dt / tau)
    return v + reading.dt / tau * ((v_leak - v) + r * current)


def _synapse_then_membrane(p, state, x, reading: Reading):
    """CubaLI(F)'s current and potential after one step (the file's convention)."""
    i, v, dt = state["i"], state["v"], reading.dt
    if reading.convention.gain == "one":  # Spyx: I = alpha I + x, V = beta V + I
        i_new = _decay(p["tau_syn"], reading) * i + x
        return i_new, _decay(p["tau_mem"], reading) * v + i_new
    if reading.convention.synapse == "jump":  # Norse's LIFCell: jump, integrate, decay
        i_jump = i + p["w_in"] * x
        v_new = _membrane(v, p["v_leak"], p["tau_mem"], p["r"], i_jump, reading)
        return i_jump - dt / p["tau_syn"] * i_jump, v_new
    drive = p["w_in"] * x
    if reading.integrator == "euler":
        i_new = i + dt / p["tau_syn"] * (drive - i)
        return i_new, _membrane(v, p["v_leak"], p["tau_mem"], p["r"], i_new, reading)
    # Exact for a drive held over the step: I relaxes to w_in x with tau_syn,
    # v follows with the two exponentials (their tau_syn -> tau_mem limit where equal).
    tau_s, tau_m = p["tau_syn"], p["tau_mem"]
    decay_s, decay_m = jnp.exp(-dt / tau_s), jnp.exp(-dt / tau_m)
    i_new = drive + (i - drive) * decay_s
    target = p["v_leak"] + p["r"] * drive
    equal = jnp.abs(tau_s - tau_m) <= 1e-6 * tau_m
    gap = jnp.where(equal, 1.0, tau_s - tau_m)
    kernel = jnp.where(equal, dt / tau_m * decay_m, tau_s / gap * (decay_s - decay_m))
    v_new = target + (v - target) * decay_m + p["r"] * (i - drive) * kernel
    return i_new, v_new


def _spikes(v, p, reading: Reading):
    """The spikes of potential ``v``: the reader's spike function (v > v_threshold),
    or Sinabs's count floor(v / v_threshold) with that function's gradient."""
    z, _ = fire(v, p["v_threshold"], reset="none", spike=reading.spike, alpha=reading.alpha)
    if reading.convention.count == "floor":
        count = jnp.where(v > 0, jnp.floor(v / p["v_threshold"]), 0.0)
        z = z + lax.stop_gradient(count - z)
    return z


def _spike_and_reset(v, p, state, reading: Reading, integrate_and_fire: bool = False):
    """The spike of the updated potential and the reset, as the convention has them."""
    reset = reading.convention.reset
    if reset == "subtract_delayed":  # snnTorch: last step's spike
        v = v - lax.stop_gradient(state["z"]) * p["v_threshold"]
        z = _spikes(v, p, reading)
        return z, v, {"z": z}
    if reset == "subtract":  # Sinabs: this step's spikes, each takes a threshold
        z = _spikes(v, p, reading)
        v = v - z * p["v_threshold"]
        if integrate_and_fire and reading.convention.if_floor:
            v = jnp.maximum(v, -p["v_threshold"])
        return z, v, {}
    z, v = fire(v, p["v_threshold"], reset="zero", v_reset=p["v_reset"], spike=reading.spike,
                alpha=reading.alpha)
    return z, v, {}


def _neuron(*, current: bool = False, spiking: bool = False) -> Callable[..., dict]:
    """A neuron's state at rest: v = v_leak (0 without a leak), no current, and the
    last step's spikes (none) where the reset comes a step late."""
    def rest(p: dict, structure: dict, shape: tuple, dtype: Any, reading: Reading) -> dict:
        v_leak = p.get("v_leak", jnp.zeros((), dtype))
        state = {"v": jnp.broadcast_to(jnp.asarray(v_leak, dtype), shape)}
        if current:
            state["i"] = jnp.zeros(shape, dtype)
        if spiking and reading.convention.reset == "subtract_delayed":
            state["z"] = jnp.zeros(shape, dtype)
        return state
    return rest


def _li(p, s, x, reading):
    v = _membrane(s["v"], p["v_leak"], p["tau"], p["r"], x, reading)
    return {"v": v}, v


def _lif(p, s, x, reading):
    if reading.convention.spike == "before":  # Spyx: the last potential spikes
        z = _spikes(s["v"], p, reading)
        v = _membrane(s["v"], p["v_leak"], p["tau"], p["r"], x, reading) - z * p["v_threshold"]
        return {"v": v}, z
    v = _membrane(s["v"], p["v_leak"], p["tau"], p["r"], x, reading)
    z, v, extra = _spike_and_reset(v, p, s, reading)
    return {"v": v, **extra}, z


def _integrate(p, s, x, reading):
    if reading.convention.gain == "one":
        return s["v"] + x
    return s["v"] + reading.dt * p["r"] * x


def _i(p, s, x, reading):
    v = _integrate(p, s, x, reading)
    return {"v": v}, v


def _if(p, s, x, reading):
    if reading.convention.spike == "before":
        z = _spikes(s["v"], p, reading)
        return {"v": _integrate(p, s, x, reading) - z * p["v_threshold"]}, z
    z, v, extra = _spike_and_reset(_integrate(p, s, x, reading), p, s, reading,
                                   integrate_and_fire=True)
    return {"v": v, **extra}, z


def _cuba_li(p, s, x, reading):
    i, v = _synapse_then_membrane(p, s, x, reading)
    return {"i": i, "v": v}, v


def _cuba_lif(p, s, x, reading):
    if reading.convention.spike == "before":  # Spyx subtracts before the decay here
        z = _spikes(s["v"], p, reading)
        i, v = _synapse_then_membrane(p, {**s, "v": s["v"] - z * p["v_threshold"]}, x, reading)
        return {"i": i, "v": v}, z
    i, v = _synapse_then_membrane(p, s, x, reading)
    z, v, extra = _spike_and_reset(v, p, s, reading)
    return {"i": i, "v": v, **extra}, z


def _threshold(p, s, x, reading):
    return {}, fire(x, p["threshold"], reset="none", spike=reading.spike,
                    alpha=reading.alpha)[0]


# ---------------------------------------------------------------- maps


def _batched(x: Array, sample_rank: int, op: Callable[[Array], Array]) -> Array:
    """``op`` on ``x`` with its leading batch axes folded into one."""
    batch = x.shape[:x.ndim - sample_rank]
    y = op(x.reshape((-1, *x.shape[x.ndim - sample_rank:])))
    return y.reshape((*batch, *y.shape[1:]))


def _pairs(value: Any, n: int) -> tuple:
    value = np.asarray(value).reshape(-1)
    return tuple(int(v) for v in (np.repeat(value, n) if value.size == 1 else value))


def _conv_structure(n: int) -> Callable[[Any, Reading], dict]:
    def structure(node, reading):
        padding = node.padding
        kernel = np.shape(node.weight)[2:]
        dilation, stride = _pairs(node.dilation, n), _pairs(node.stride, n)
        if isinstance(padding, str | np.str_) or (isinstance(padding, bytes)):
            padding = padding.decode() if isinstance(padding, bytes) else str(padding)
            if padding == "valid":
                padding = ((0, 0),) * n
            elif padding == "same":
                if any(s != 1 for s in stride):
                    raise NIRError(f"padding 'same' with stride {stride}: NIR says the "
                                   "output keeps the input's size, which a stride cannot")
                total = [d * (k - 1) for d, k in zip(dilation, kernel)]
                padding = tuple((t // 2, t - t // 2) for t in total)
            else:
                raise NIRError(f"padding must be an int, a tuple, 'same' or 'valid', "
                               f"got {padding!r}")
        else:
            padding = tuple((p, p) for p in _pairs(padding, n))
        return {"stride": stride, "padding": padding, "dilation": dilation,
                "groups": int(np.asarray(node.groups))}
    return structure


def _conv(p, s, x, reading, *, structure):
    n = p["weight"].ndim - 2

    def op(x):
        y = lax.conv_general_dilated(
            x, p["weight"], window_strides=structure["stride"], padding=structure["padding"],
            rhs_dilation=structure["dilation"], feature_group_count=structure["groups"])
        return y + p["bias"].reshape((-1,) + (1,) * n)
    return {}, _batched(x, n + 1, op)


def _flatten_structure(node, reading):
    shape = node.input_type.get("input")
    if shape is None:
        raise NIRError("Flatten without an input_type: its start_dim and end_dim index "
                       "the sample's shape, which is needed")
    return {"shape": tuple(int(d) for d in np.asarray(shape).reshape(-1)),
            "start": int(node.start_dim), "end": int(node.end_dim)}


def _flatten(p, s, x, reading, *, structure):
    shape = structure["shape"]
    rank = len(shape)
    start, end = structure["start"] % rank, structure["end"] % rank
    batch = x.shape[:x.ndim - rank]
    merged = int(np.prod(shape[start:end + 1]))
    return {}, x.reshape((*batch, *shape[:start], merged, *shape[end + 1:]))


def _pool_structure(node, reading):
    return {"kernel": _pairs(node.kernel_size, 2), "stride": _pairs(node.stride, 2),
            "padding": _pairs(node.padding, 2)}


def _pool(p, s, x, reading, *, structure, average):
    kernel, stride, pad = structure["kernel"], structure["stride"], structure["padding"]

    def op(x):
        y = lax.reduce_window(x, jnp.zeros((), x.dtype), lax.add, (1, 1, *kernel),
                              (1, 1, *stride), ((0, 0), (0, 0), *((q, q) for q in pad)))
        return y / (kernel[0] * kernel[1]) if average else y
    return {}, _batched(x, 3, op)


def _delay_structure(node, reading):
    steps = np.asarray(node.delay, np.float64) / reading.dt
    whole = np.round(steps)
    if not np.all(np.isfinite(steps)) or np.any(whole < 0) or np.any(
            np.abs(steps - whole) > 1e-6 * np.maximum(1.0, whole)):
        raise NIRError(f"delay must be whole multiples >= 0 of dt = {reading.dt}, got "
                       f"{np.asarray(node.delay).tolist()}")
    return {"steps": tuple(int(k) for k in whole.reshape(-1)),
            "shape": tuple(np.shape(node.delay))}


def _delay_state(p, structure, shape, dtype, reading):
    depth = max(structure["steps"], default=0)
    return {"past": jnp.zeros((depth, *shape), dtype)}


def _delay(p, s, x, reading, *, structure):
    steps = np.asarray(structure["steps"]).reshape(structure["shape"])
    past = jnp.concatenate([x[None], s["past"]])  # past[k] = x(t - k)
    index = jnp.broadcast_to(jnp.asarray(steps), x.shape)[None]
    y = jnp.take_along_axis(past, index, axis=0)[0]
    return {"past": past[:-1]}, y


def _identity(p, s, x, reading):
    return {}, x


KINDS: dict[str, Kind] = {
    "Input": Kind((), _identity),
    "Output": Kind((), _identity),
    "Affine": Kind(("weight", "bias"), lambda p, s, x, r: ({}, x @ p["weight"].T + p["bias"])),
    "Linear": Kind(("weight",), lambda p, s, x, r: ({}, x @ p["weight"].T)),
    "Scale": Kind(("scale",), lambda p, s, x, r: ({}, x * p["scale"])),
    "Conv1d": Kind(("weight", "bias"), _conv, _conv_structure(1)),
    "Conv2d": Kind(("weight", "bias"), _conv, _conv_structure(2)),
    "Flatten": Kind((), _flatten, _flatten_structure),
    "SumPool2d": Kind((), lambda *a, structure: _pool(*a, structure=structure, average=False),
                      _pool_structure),
    "AvgPool2d": Kind((), lambda *a, structure: _pool(*a, structure=structure, average=True),
                      _pool_structure),
    "Delay": Kind((), _delay, _delay_structure, _delay_state),
    "Threshold": Kind(("threshold",), _threshold),
    "I": Kind(("r",), _i, state=_neuron()),
    "IF": Kind(("r", "v_threshold", "v_reset"), _if,
               state=_neuron(spiking=True)),
    "LI": Kind(("tau", "r", "v_leak"), _li,
               state=_neuron(), taus=("tau",)),
    "LIF": Kind(("tau", "r", "v_leak", "v_threshold", "v_reset"), _lif,
                state=_neuron(spiking=True), taus=("tau",)),
    "CubaLI": Kind(("tau_syn", "tau_mem", "r", "v_leak", "w_in"), _cuba_li,
                   state=_neuron(current=True),
                   taus=("tau_syn", "tau_mem")),
    "CubaLIF": Kind(("tau_syn", "tau_mem", "r", "v_leak", "v_threshold", "v_reset", "w_in"),
                    _cuba_lif,
                    state=_neuron(current=True, spiking=True),
                    taus=("tau_syn", "tau_mem")),
}

#: The NIR node types ``from_nir`` runs (and nested ``NIRGraph``).
NODE_TYPES = tuple(sorted([*KINDS, "NIRGraph"]))


def step(kind: str, params: dict, structure: dict, state: dict, x: Array,
         reading: Reading) -> tuple[dict, Array]:
    """One step of a node of type ``kind``."""
    if KINDS[kind].structure is None:
        return KINDS[kind].step(params, state, x, reading)
    return KINDS[kind].step(params, state, x, reading, structure=structure)


def structure_of(kind: str, node: Any, reading: Reading) -> dict:
    """A node's static structure (strides, shapes, delays in steps); {} for most."""
    make = KINDS[kind].structure
    return {} if make is None else make(node, reading)


def initial_state(kind: str, params: dict, structure: dict, shape: tuple, dtype: Any,
                  reading: Reading) -> dict:
    """The state a node starts from, for an input of ``shape`` (batch axes included)."""
    return KINDS[kind].state(params, structure, shape, dtype, reading)
