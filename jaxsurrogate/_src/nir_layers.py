"""Networks of ``jaxsurrogate.neurons`` written as NIR graphs.

A network here is a list of layers: :class:`Dense` maps and Norse's LIF and LI
neurons (:class:`LIFLayer`, optionally recurrent; :class:`LILayer`), as
``lif_feed_forward_step``, ``lif_step`` and ``li_feed_forward_step`` run
them. Norse's current-based neuron jumps its current by the input, then
decays it: ``i' = i + x``, ``v`` steps with ``i'``, ``i = (1 - dt/tau_syn) i'``.
That is NIR's CubaLIF under forward Euler with ``w_in = tau_syn / dt``
(``I <- (1 - dt/tau_syn) I + x``, the membrane stepping with the new I), so a
written network reads back with ``from_nir(graph, dt=dt)`` and runs as it ran
here, to rounding. NIR has no surrogate: the spike function (``p.method``,
``p.alpha``) is the reader's choice.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from jaxsurrogate._src.lif_types import LIFParameters, LIParameters
from jaxsurrogate._src.nir_nodes import NIRError


class Dense(NamedTuple):
    """``x @ weight.T + bias``: weights in ``(out, in)`` layout, as the neuron steps take them."""

    weight: Any
    bias: Any = None


class LIFLayer(NamedTuple):
    """Norse's LIF neurons (``lif_feed_forward_step``, or ``lif_step`` with
    ``recurrent_weight`` of shape ``(n, n)``)."""

    p: LIFParameters = LIFParameters()
    recurrent_weight: Any = None


class LILayer(NamedTuple):
    """Norse's leaky integrators (``li_feed_forward_step``): the potentials are the output."""

    p: LIParameters = LIParameters()


def _per_neuron(value: Any, n: int, what: str) -> np.ndarray:
    value = np.asarray(value, np.float64)
    try:
        return np.broadcast_to(value, (n,)).copy()
    except ValueError:
        raise NIRError(f"{what} has shape {value.shape}, which does not fit {n} neurons") from None


def _cuba(p: Any, n: int, dt: float, where: str, spiking: bool) -> Any:
    import nir

    tau_syn = 1.0 / _per_neuron(p.tau_syn_inv, n, f"{where}: tau_syn_inv")
    fields = dict(tau_syn=tau_syn, tau_mem=1.0 / _per_neuron(p.tau_mem_inv, n,
                                                             f"{where}: tau_mem_inv"),
                  r=np.ones(n), v_leak=_per_neuron(p.v_leak, n, f"{where}: v_leak"),
                  w_in=tau_syn / dt)
    for name in ("tau_syn", "tau_mem"):
        if not np.all(np.isfinite(fields[name]) & (fields[name] > 0)):
            raise NIRError(f"{where}: {name} must be finite and > 0, got {fields[name].tolist()}")
    if not spiking:
        return nir.CubaLI(**fields)
    return nir.CubaLIF(**fields, v_threshold=_per_neuron(p.v_th, n, f"{where}: v_th"),
                       v_reset=_per_neuron(p.v_reset, n, f"{where}: v_reset"))


def layers_to_nir(layers: list, *, n_in: int, dt: float) -> Any:
    """A NIR graph of a list of :class:`Dense`, :class:`LIFLayer` and :class:`LILayer`.

    Args:
        layers: the network, input first.
        n_in: the input's size.
        dt: the time step the neurons run at (s); NIR's taus are in seconds.

    Returns:
        A ``nir.NIRGraph``: ``input``, ``layer0``, ``layer1``, ... ``output``;
        a recurrent LIF layer ``k`` adds ``layer{k}_recurrent``, a Linear in a
        cycle with it.
    """
    import nir

    if not np.isfinite(dt) or dt <= 0:
        raise NIRError(f"dt must be a finite time step > 0 in seconds, got {dt!r}")
    nodes, edges, last, n = {"input": nir.Input(np.array([n_in]))}, [], "input", int(n_in)
    for k, layer in enumerate(layers):
        name = f"layer{k}"
        if isinstance(layer, Dense):
            weight = np.asarray(layer.weight, np.float64)
            if weight.ndim != 2 or weight.shape[1] != n:
                raise NIRError(f"{name} (Dense): weight must be (out, {n}), got {weight.shape}")
            n = weight.shape[0]
            nodes[name] = (nir.Linear(weight) if layer.bias is None else
                           nir.Affine(weight, _per_neuron(layer.bias, n, f"{name}: bias")))
        elif isinstance(layer, LIFLayer | LILayer):
            nodes[name] = _cuba(layer.p, n, dt, name, isinstance(layer, LIFLayer))
            recurrent = getattr(layer, "recurrent_weight", None)
            if recurrent is not None:
                recurrent = np.asarray(recurrent, np.float64)
                if recurrent.shape != (n, n):
                    raise NIRError(f"{name}: recurrent_weight must be ({n}, {n}), got "
                                   f"{recurrent.shape}")
                nodes[f"{name}_recurrent"] = nir.Linear(recurrent)
                edges += [(name, f"{name}_recurrent"), (f"{name}_recurrent", name)]
        else:
            raise NIRError(f"layer {k} must be a Dense, LIFLayer or LILayer, got "
                           f"{type(layer).__name__}")
        edges.append((last, name))
        last = name
    nodes["output"] = nir.Output(np.array([n]))
    edges.append((last, "output"))
    return nir.NIRGraph(nodes, edges, type_check=False)
