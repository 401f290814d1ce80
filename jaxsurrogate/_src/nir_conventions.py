"""How each library's NIR files mean their numbers: one row per library.

NIR states continuous-time equations (``tau dv/dt = (v_leak - v) + R I``) and
leaves the time step, the update order and the reset's timing to the reader.
The libraries that write NIR chose differently (read from their sources:
Norse 1.1.0 ``norse/torch/utils/export_nir.py`` and ``import_nir.py``,
snnTorch 1.0.0 ``snntorch/export_nir.py`` and ``import_nir.py``, Spyx 1.0.0
``spyx/nir.py`` and ``spyx/nn.py``, Sinabs 3.1.3 ``sinabs/nir.py`` and
``sinabs/layers``; each checked against the library's own outputs). A
convention here says how to read a file so that it runs as its writer's
network ran; ``"nir"`` reads the equations as written.
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType


@dataclasses.dataclass(frozen=True)
class Convention:
    """How a file's time constants, steps and resets are read.

    Attributes:
        name: the ``convention=`` value.
        dt: the time step the writer's network ran at (s); None: the caller's.
        tau_scale: a file's tau is this times the true time constant (Norse
            1.1.0 writes ``tau = dt / tau_inv``, the true tau times its dt).
        integrator: the step the library takes, ``"euler"`` or ``"exact"``
            (the exponential); None: the caller's choice.
        gain: ``"nir"``: NIR's equations, the input through ``r`` (and
            ``w_in``) over ``dt/tau``; ``"one"``: ``v = d v + x`` with the decay
            d of the integrator (``clip(1 - dt/tau, 0, 1)`` or ``exp(-dt/tau)``),
            the input added as it is, ``r`` and ``w_in`` not read, ``v_leak``
            required to be 0 (Spyx and Sinabs read files so).
        synapse: ``"euler"``: ``I += dt/tau_syn (-I + w_in S)`` (NIR's
            equation; with gain one, ``I = d I + S``); ``"jump"``: ``I += w_in S``
            before the membrane step, then ``I -= dt/tau_syn I`` (Norse's LIFCell).
        spike: ``"after"``: from the potential after this step's input;
            ``"before"``: from the last step's potential, the reset subtracted
            in this step's update (Spyx: its outputs are a step late).
        count: ``"one"``: a spike is 0 or 1; ``"floor"``: ``floor(v / v_threshold)``
            spikes where v > 0 (Sinabs's MultiSpike), with the spike function's
            surrogate gradient.
        reset: ``"zero"``: to v_reset on the spike's own step (NIR);
            ``"subtract"``: ``v -= count * v_threshold`` on that step;
            ``"subtract_delayed"``: ``v -= v_threshold`` one step after the
            spike (snnTorch's default Leaky/Synaptic: ``reset_delay=True``).
            A subtracting reset does not read v_reset: it must be 0.
        if_floor: an IF neuron's potential is held at ``>= -v_threshold``
            (Sinabs's IAF on import: ``min_v_mem = -spike_threshold``).
        refused: node types the library does not read (an error here, rather
            than a guess).
        writer: what writes such files (for the docs' table).
    """

    name: str
    dt: float | None
    tau_scale: float
    integrator: str | None
    gain: str
    synapse: str
    spike: str
    count: str
    reset: str
    if_floor: bool
    refused: tuple[str, ...]
    writer: str

    @property
    def nir_equations(self) -> bool:
        """Whether the neurons step NIR's equations as written (so that to_nir can write them)."""
        return (self.gain, self.synapse, self.spike, self.count, self.reset) == (
            "nir", "euler", "after", "one", "zero")


CONVENTIONS = MappingProxyType({c.name: c for c in (
    Convention("nir", None, 1.0, None, "nir", "euler", "after", "one", "zero", False, (),
               "NIR's equations as written (this library's to_nir)"),
    Convention("norse", 1e-3, 1e-3, "euler", "nir", "jump", "after", "one", "zero", False, (),
               "norse.torch.utils.export_nir (1.1.0), dt = 1e-3"),
    Convention("snntorch", 1e-4, 1.0, "euler", "nir", "euler", "after", "one",
               "subtract_delayed", False, (),
               "snntorch.export_to_nir (1.0.0), dt = 1e-4 hard-coded"),
    Convention("spyx", 1.0, 1.0, "euler", "one", "euler", "before", "one", "subtract", False,
               ("I", "LI", "CubaLI"),
               "spyx.nir.to_nir (1.0.0), dt = 1 by default; read as spyx.nir.from_nir"),
    Convention("sinabs", 1.0, 1.0, "exact", "one", "euler", "after", "floor", "subtract", True,
               ("I", "CubaLI", "CubaLIF"),
               "sinabs.to_nir (3.1.3), tau in steps; read as sinabs.from_nir"),
)})
