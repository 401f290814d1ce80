"""Spiking networks in and out of NIR, the Neuromorphic Intermediate Representation.

``from_nir(graph, dt=...)`` runs a NIR graph as a pure JAX step function with
this library's spike functions; ``to_nir(network, params)`` writes it back.
The time step, the integrator and how a file means its numbers (``convention``:
NIR's equations, or Norse's, snnTorch's, Spyx's or Sinabs's files as those
libraries run them) are explicit; docs/nir.md has the equations and the conventions' table.
Needs the ``nir`` package: ``pip install jaxsurrogate[nir]``.
"""

from jaxsurrogate._src.nir_conventions import CONVENTIONS, Convention
from jaxsurrogate._src.nir_graph import INTEGRATORS, Network, from_nir, to_nir
from jaxsurrogate._src.nir_layers import Dense, LIFLayer, LILayer
from jaxsurrogate._src.nir_nodes import NODE_TYPES, NIRError

__all__ = ["CONVENTIONS", "INTEGRATORS", "NODE_TYPES", "Convention", "Dense", "LIFLayer", "LILayer",
           "NIRError", "Network", "from_nir", "to_nir"]
