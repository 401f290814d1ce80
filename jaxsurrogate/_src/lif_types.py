"""The states and parameters of Norse's LIF and LI neurons, as pytrees.

NamedTuples (hence pytrees, so that parameters can be traced, per neuron and
learned), registered for ``jax.export`` serialization so that an exported
function may take or return them.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import numpy as np
from jax import export

import jaxsurrogate as js
from jaxsurrogate._src.catalogue.norse import METHODS

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


def spike_of(method: Any) -> Any:
    """The spike function that ``LIFParameters.method`` names (Norse's methods first)."""
    if isinstance(method, str):
        return NORSE_METHODS[method] if method in NORSE_METHODS else js.get(method)
    if not isinstance(getattr(method, "declaration", None), js.Declaration):
        raise TypeError(
            f"LIFParameters.method must be one of Norse's methods {sorted(NORSE_METHODS)}, a "
            f"registry name or a jaxsurrogate spike function, got {method!r}"
        )
    return method


def _method_name(method: Any) -> bytes:
    """The static method as bytes for ``jax.export``: a name, as it is looked up again."""
    if isinstance(method, str):
        return method.encode()
    name = getattr(method, "__name__", None)
    if isinstance(name, str) and name in [*js.names(), *js.presets()] and js.get(name) is method:
        return name.encode()
    raise TypeError(
        f"jax.export: LIFParameters.method {method!r} has no registry name to serialize; "
        f"pass a name or preset (e.g. method='super'), or js.register it first"
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


# jax.export serializes the pytrees of an exported function's inputs and
# outputs by these names.
for _type in (LIFState, LIFFeedForwardState, LIParameters, LIState):
    export.register_namedtuple_serialization(
        _type, serialized_name=f"jaxsurrogate.neurons.{_type.__name__}")
export.register_pytree_node_serialization(
    LIFParameters, serialized_name="jaxsurrogate.neurons.LIFParameters",
    serialize_auxdata=_method_name,
    deserialize_auxdata=lambda data: data.decode(),
)
