"""How each library's NIR files mean their numbers: one row per library.

NIR states continuous-time equations (``tau dv/dt = (v_leak - v) + R I``) and
leaves the time step, the update order and the reset's timing to the reader.
The libraries that write NIR chose differently (read from their sources:
Norse 1.1.0 ``norse/torch/utils/export_nir.py`` and ``import_nir.py``,
snnTorch 1.0.0 ``snntorch/export_nir.py`` and ``import_nir.py``). A
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
        synapse: ``"euler"``: ``I += dt/tau_syn (-I + w_in S)`` (NIR's
            equation); ``"jump"``: ``I += w_in S`` before the membrane step,
            then ``I -= dt/tau_syn I`` (Norse's LIFCell).
        reset: ``"zero"``: to v_reset on the spike's own step (NIR);
            ``"subtract_delayed"``: ``v -= v_threshold`` one step after the
            spike (snnTorch's default Leaky/Synaptic: ``reset_delay=True``).
        writer: what writes such files (for the docs' table).
    """

    name: str
    dt: float | None
    tau_scale: float
    synapse: str
    reset: str
    writer: str


CONVENTIONS = MappingProxyType({c.name: c for c in (
    Convention("nir", None, 1.0, "euler", "zero",
               "NIR's equations as written (this library's to_nir, Spyx with r = beta aside)"),
    Convention("norse", 1e-3, 1e-3, "jump", "zero",
               "norse.torch.utils.export_nir (1.1.0), dt = 1e-3"),
    Convention("snntorch", 1e-4, 1.0, "euler", "subtract_delayed",
               "snntorch.export_to_nir (1.0.0), dt = 1e-4 hard-coded"),
)})
