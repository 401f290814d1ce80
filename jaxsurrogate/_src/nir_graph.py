"""A NIR graph as a pure JAX step function, and back.

A graph runs one time step at a time: every node in a fixed order, each
node's input the sum of its incoming edges. An edge that closes a cycle (a
recurrent connection) carries its source's output from the previous step, as
NIR defines recurrence; the order is a depth-first walk from the inputs, so
the edge that returns to a node on the walk is the one delayed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

import jaxsurrogate as js
from jaxsurrogate._src import nir_layers, nir_nodes
from jaxsurrogate._src.nir_conventions import CONVENTIONS, Convention
from jaxsurrogate._src.nir_nodes import KINDS, NIRError, Reading

Array = jax.Array
INTEGRATORS = ("euler", "exact")


def _nir() -> Any:
    try:
        import nir
    except ImportError as err:
        raise ImportError("jaxsurrogate.nir needs the nir package: "
                          "pip install jaxsurrogate[nir]") from err
    return nir


def _kind(name: str, node: Any) -> str:
    kind = type(node).__name__
    if kind != "NIRGraph" and kind not in KINDS:
        raise NIRError(f"node {name!r}: NIR type {kind} is not supported (supported: "
                       f"{', '.join(nir_nodes.NODE_TYPES)})")
    return kind


def _parameters(name: str, kind: str, node: Any, reading: Reading) -> dict[str, Array]:
    params = {}
    for field in KINDS[kind].params:
        value = getattr(node, field, None)
        if value is None:
            raise NIRError(f"node {name!r} ({kind}) has no {field!r}")
        value = np.asarray(value, np.float64)
        if field in KINDS[kind].taus:
            bad = ~(np.isfinite(value) & (value > 0))
            if np.any(bad):
                raise NIRError(f"node {name!r} ({kind}): {field} must be finite and > 0, "
                               f"got {_some(value[bad])}")
            value = value / reading.convention.tau_scale
        if not np.all(np.isfinite(value)):
            raise NIRError(f"node {name!r} ({kind}): {field} must be finite, got "
                           f"{_some(value[~np.isfinite(value)])}")
        params[field] = jnp.asarray(value, reading.dtype)
        _check_convention(name, kind, field, value, reading.convention)
    return params


def _check_convention(name: str, kind: str, field: str, value: np.ndarray,
                      conv: Convention) -> None:
    """A field the convention's library does not read must not carry a meaning."""
    unread = (conv.gain == "one" and field == "v_leak") or (
        conv.reset != "zero" and field == "v_reset")
    if unread and np.any(value != 0):
        raise NIRError(f"node {name!r} ({kind}): {field} = {_some(value[value != 0])}, which "
                       f"convention {conv.name!r} does not read (that library takes it as 0): "
                       "read the file with convention='nir'")


def _some(values: np.ndarray) -> str:
    """A few of the offending values, and how many there are."""
    values = np.asarray(values).reshape(-1)
    shown = ", ".join(f"{v:g}" for v in values[:4])
    return f"{shown}" + (f" ({values.size} values)" if values.size > 4 else "")


def _walk(nodes: Mapping[str, Any], edges: list) -> tuple[list[str], set]:
    """The nodes in running order and the edges that close cycles (delayed)."""
    out: dict[str, list[str]] = {n: [] for n in nodes}
    for src, dst in edges:
        for end in (src, dst):
            if end not in nodes:
                raise NIRError(f"edge ({src!r}, {dst!r}) names a node the graph does not have")
        out[src].append(dst)
    starts = [n for n, node in nodes.items() if type(node).__name__ == "Input"]
    done, on_path, finished, back = set(), set(), [], set()
    for start in starts:
        if start in done:
            continue
        stack = [(start, iter(out[start]))]
        done.add(start)
        on_path.add(start)
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                on_path.discard(node)
                finished.append(node)
            elif child in on_path:
                back.add((node, child))
            elif child not in done:
                done.add(child)
                on_path.add(child)
                stack.append((child, iter(out[child])))
    unreached = sorted(set(nodes) - done)
    if unreached:
        raise NIRError(f"nodes {unreached} are not reached from an Input node: nothing would "
                       "drive them")
    return finished[::-1], back


@dataclasses.dataclass(frozen=True, eq=False)
class Network:
    """A NIR graph as a JAX step: ``step(params, state, x) -> (state, y)``.

    Made by :func:`from_nir`. ``params`` is a pytree of arrays, one dict per
    node (nested graphs nest); :meth:`initial_state` makes the state for an
    input; :meth:`run` scans a time-major sequence.

    Attributes:
        graph: the NIR graph read.
        params: the parameters read from the graph (taus in seconds).
        reading: dt, the integrator, the convention and the spike function.
    """

    graph: Any
    params: dict
    reading: Reading
    order: tuple[str, ...]
    kinds: Mapping[str, Any]  # a NIR type name, or a nested Network
    structure: Mapping[str, dict]
    incoming: Mapping[str, tuple]  # name -> ((source, delayed), ...)
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]

    def _inputs_of(self, x: Any) -> dict[str, Array]:
        if isinstance(x, Mapping):
            if set(x) != set(self.inputs):
                raise NIRError(f"x must have the inputs {sorted(self.inputs)}, got {sorted(x)}")
            return dict(x)
        if len(self.inputs) != 1:
            raise NIRError(f"this graph has inputs {sorted(self.inputs)}: pass a dict")
        return {self.inputs[0]: x}

    def _forward(self, params: dict, state: dict | None, x: Any, shapes: dict | None = None):
        """One step; with ``state`` None, from rest, noting each node's shapes in ``shapes``."""
        values = {k: jnp.asarray(v, self.reading.dtype) for k, v in self._inputs_of(x).items()}
        nodes, outputs = {}, {}
        for name in self.order:
            kind = self.kinds[name]
            terms = [values[name]] if name in values else []
            for src, delayed in self.incoming[name]:
                if not delayed:
                    terms.append(outputs[src])
                elif state is not None:
                    terms.append(state["previous"][src])
            if not terms:
                raise NIRError(f"node {name!r} has no input")
            inner = {} if shapes is not None else None
            try:
                x_in = sum(terms[1:], terms[0])
                own = None if state is None else state["nodes"][name]
                if isinstance(kind, Network):
                    own, y = kind._forward(params[name], own, x_in, inner)
                else:
                    if own is None:
                        own = nir_nodes.initial_state(kind, params[name], self.structure[name],
                                                      x_in.shape, self.reading.dtype,
                                                      self.reading)
                    own, y = nir_nodes.step(kind, params[name], self.structure[name], own,
                                            x_in, self.reading)
            except (TypeError, ValueError) as err:
                if isinstance(err, NIRError):
                    raise
                what = kind if isinstance(kind, str) else "NIRGraph"
                raise NIRError(f"node {name!r} ({what}): its input, shaped "
                               f"{[tuple(t.shape) for t in terms]}, does not fit it: "
                               f"{err}") from err
            if shapes is not None:
                shapes[name] = (x_in.shape, y.shape, inner)
            nodes[name], outputs[name] = own, y
        previous = {src: outputs[src] for src in self._delayed_sources()}
        y = {n: outputs[n] for n in self.outputs}
        y = y[self.outputs[0]] if len(self.outputs) == 1 else y
        return {"nodes": nodes, "previous": previous}, y

    def _delayed_sources(self) -> list[str]:
        return sorted({src for edges in self.incoming.values() for src, d in edges if d})

    def initial_state(self, x: Any, params: dict | None = None) -> dict:
        """The state before the first step, for inputs shaped like ``x`` (batch axes included).

        Neurons start at rest (v = v_leak, no current), delays empty, and a
        recurrent edge carries its source's output at rest for no input (an
        Affine's bias, no spikes), as if the network had been silent before.
        """
        params = self.params if params is None else params
        shapes: dict = {}
        jax.eval_shape(lambda p, x: self._forward(p, None, x, shapes)[1], params, x)
        return self._rest(params, shapes)

    def _rest(self, params: dict, shapes: dict) -> dict:
        nodes = {}
        for name in self.order:
            kind = self.kinds[name]
            in_shape, _, inner = shapes[name]
            if isinstance(kind, Network):
                nodes[name] = kind._rest(params[name], inner)
            else:
                nodes[name] = nir_nodes.initial_state(kind, params[name], self.structure[name],
                                                      in_shape, self.reading.dtype, self.reading)
        return {"nodes": nodes, "previous": {src: self._at_rest(params, src, nodes[src], shapes)
                                             for src in self._delayed_sources()}}

    def _at_rest(self, params: dict, name: str, rest: dict, shapes: dict) -> Array:
        """What a recurrent edge carries before the first step: its source's output
        at rest for no input (an Affine's bias; no spikes)."""
        kind, (in_shape, out_shape, _) = self.kinds[name], shapes[name]
        if isinstance(kind, Network):
            return jnp.zeros(out_shape, self.reading.dtype)
        return nir_nodes.step(kind, params[name], self.structure[name], rest,
                              jnp.zeros(in_shape, self.reading.dtype), self.reading)[1]

    def step(self, params: dict, state: dict, x: Any) -> tuple[dict, Any]:
        """One time step: ``(state, y)`` for this step's input ``x``."""
        return self._forward(params, state, x)

    def run(self, params: dict, xs: Any, state: dict | None = None) -> tuple[dict, Any]:
        """Every step of a time-major sequence ``xs`` ([T, ...]) with ``lax.scan``."""
        if state is None:
            state = self.initial_state(jax.tree.map(lambda a: a[0], xs), params)
        return jax.lax.scan(lambda s, x: self.step(params, s, x), state, xs)


def _read(graph: Any, reading: Reading) -> Network:
    nodes, edges = dict(graph.nodes), [tuple(e) for e in graph.edges]
    kinds, params, structure = {}, {}, {}
    for name, node in nodes.items():
        kind = _kind(name, node)
        if kind == "NIRGraph":
            kinds[name] = _read(node, reading)
            params[name] = kinds[name].params
            structure[name] = {}
            continue
        if kind in reading.convention.refused:
            raise NIRError(f"node {name!r}: convention {reading.convention.name!r} does not "
                           f"read {kind} nodes (its library refuses them); read the file with "
                           "convention='nir'")
        kinds[name] = kind
        params[name] = _parameters(name, kind, node, reading)
        try:
            structure[name] = nir_nodes.structure_of(kind, node, reading)
        except NIRError as err:
            raise NIRError(f"node {name!r} ({kind}): {err}") from None
    order, back = _walk(nodes, edges)
    incoming = {n: tuple((s, (s, d) in back) for s, d in edges if d == n) for n in nodes}
    inputs = tuple(n for n in order if kinds[n] == "Input")
    outputs = tuple(n for n in order if kinds[n] == "Output")
    if not inputs or not outputs:
        raise NIRError(f"the graph needs Input and Output nodes; it has {sorted(nodes)}")
    return Network(graph, params, reading, tuple(order), kinds, structure, incoming, inputs,
                   outputs)


def from_nir(graph: Any, *, dt: float | None = None, convention: str = "nir",
             integrator: str | None = None, spike: Any = "superspike", alpha: Any = None,
             dtype: Any = jnp.float32) -> Network:
    """Reads a NIR graph as a JAX step function.

    Args:
        graph: a ``nir.NIRGraph`` (or a path to a ``.nir`` file).
        dt: the time step in seconds; None for the convention's own
            (``"norse"``: 1e-3, ``"snntorch"``: 1e-4, ``"spyx"`` and
            ``"sinabs"``: 1, their taus being in steps; ``"nir"`` has none).
        convention: how the file means its numbers: ``"nir"`` (NIR's
            equations), ``"norse"``, ``"snntorch"``, ``"spyx"`` or ``"sinabs"``
            (as those libraries run them; see docs/nir.md).
        integrator: ``"euler"`` (forward Euler) or ``"exact"`` (the
            exponential solution for an input held over the step); None for
            the convention's (Euler for ``"nir"``). A library's convention
            steps as that library does: another integrator is refused.
        spike: the spike function of LIF, IF, CubaLIF and Threshold nodes: a
            jaxsurrogate function or registry name.
        alpha: its alpha; None for the function's default.
        dtype: the float dtype of parameters and states.

    Returns:
        A :class:`Network`.
    """
    nir = _nir()
    if isinstance(graph, str) or hasattr(graph, "__fspath__"):
        graph = nir.read(graph, type_check=False)
    if convention not in CONVENTIONS:
        raise NIRError(f"convention must be one of {sorted(CONVENTIONS)}, got {convention!r}")
    conv = CONVENTIONS[convention]
    if integrator is not None and integrator not in INTEGRATORS:
        raise NIRError(f"integrator must be one of {INTEGRATORS} or None, got {integrator!r}")
    if conv.integrator is not None and integrator not in (None, conv.integrator):
        raise NIRError(f"convention {convention!r} steps by {conv.integrator!r}, as its library "
                       f"does: integrator={integrator!r} reads NIR's equations "
                       "(convention='nir')")
    integrator = integrator or conv.integrator or "euler"
    dt = conv.dt if dt is None else dt
    if dt is None or not np.isfinite(dt) or dt <= 0:
        raise NIRError(f"dt must be a finite time step > 0 in seconds, got {dt!r}")
    fn = js.get(spike) if isinstance(spike, str) else spike
    if not jnp.issubdtype(dtype, jnp.floating):
        raise NIRError(f"dtype must be a float dtype, got {dtype!r}")
    return _read(graph, Reading(float(dt), integrator, conv, fn, alpha, dtype))


def to_nir(network: Any, params: dict | None = None, *, n_in: int | None = None,
           dt: float | None = None) -> Any:
    """Writes a network as a NIR graph of NIR's equations.

    Args:
        network: a :class:`Network` from :func:`from_nir` (with ``params``),
            or a list of layers (``Dense``, ``LIFLayer``, ``LILayer``: this
            library's neurons, see ``jaxsurrogate._src.nir_layers``) with
            ``n_in`` and ``dt``.
        params: a Network's parameters (trained); None for those read.
        n_in: a list of layers' input size.
        dt: the time step a list of layers runs at (s).

    Returns:
        A ``nir.NIRGraph`` whose numbers mean what they mean here under
        ``convention="nir"``: ``from_nir(to_nir(net), dt=...)`` runs as ``net``.

    Raises:
        NIRError: the network's convention steps a node in a way NIR's
            equations cannot say (Norse's current jump, snnTorch's delayed
            subtraction).
    """
    nir = _nir()
    if isinstance(network, list | tuple):
        if n_in is None or dt is None:
            raise NIRError("a list of layers needs n_in (the input size) and dt (s)")
        return nir_layers.layers_to_nir(list(network), n_in=n_in, dt=dt)
    params = network.params if params is None else params
    conv = network.reading.convention
    nodes = {}
    for name, node in network.graph.nodes.items():
        kind = network.kinds[name]
        if isinstance(kind, Network):
            nodes[name] = to_nir(kind, params[name])
            continue
        if kind in ("CubaLI", "CubaLIF") and conv.synapse != "euler":
            raise NIRError(f"node {name!r} ({kind}): convention {conv.name!r} jumps the current "
                           "by the input, which NIR's CubaLIF equation cannot say")
        if kind in ("IF", "LIF", "CubaLIF") and conv.reset == "subtract_delayed":
            raise NIRError(f"node {name!r} ({kind}): a reset by subtraction one step late "
                           f"(convention {conv.name!r}) is a reset NIR cannot express")
        if KINDS[kind].neuron and not conv.nir_equations:
            raise NIRError(f"node {name!r} ({kind}): convention {conv.name!r} steps its neurons "
                           "in a way NIR's equations cannot say (input gain 1, a subtracting "
                           "reset, spikes from the last potential or counted)")
        fields = {f: np.asarray(params[name][f]) for f in KINDS[kind].params}
        nodes[name] = dataclasses.replace(node, **fields) if fields else node
    return nir.NIRGraph(nodes, list(network.graph.edges), type_check=False)
