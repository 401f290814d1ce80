"""The LIF step every benchmark measures: Norse's constants and its inputs.

NumPy only, so that the peers' own Pythons (which may lack jaxsurrogate) can
import it too.
"""

from __future__ import annotations

import numpy as np

# Norse's LIFParameters defaults (norse 1.1.0), used by every LIF here and
# in the peers.
LIF_PARAMS = dict(dt=1e-3, tau_syn_inv=200.0, tau_mem_inv=100.0, v_leak=0.0,
                  v_th=1.0, v_reset=0.0, alpha=100.0)


def lif_data(T, B, nin, nout, seed=0):
    """Input spikes (T, B, nin) at 10 % and weights (nin, nout) N(0, 0.1), float32 numpy."""
    rng = np.random.default_rng(seed)
    x = (rng.random((T, B, nin)) < 0.1).astype(np.float32)
    w = rng.normal(0, 0.1, (nin, nout)).astype(np.float32)
    return x, w
