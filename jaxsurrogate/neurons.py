"""Neurons around a spike function: :func:`fire`, and Norse's LIF and LI steps.

``fire(v, v_th, ...)`` is the threshold, the spike and the reset as one step
with the smallest backward-pass memory; ``lif_feed_forward_step``,
``lif_step``, ``li_feed_forward_step`` and ``li_step`` are Norse 1.1.0's
neuron steps, exactly, built on it; ``lif_feed_forward_scan``, ``lif_scan`` and
``li_feed_forward_scan`` run them over whole sequences with a memory policy
(``POLICIES``), and ``lif_feed_forward_stack_scan`` runs feed-forward LIF
layers stacked in one scan, with no sequence kept between them.
"""

from jaxsurrogate._src.fire import RESETS, RESIDUAL_NAME, fire
from jaxsurrogate._src.lif import li_feed_forward_step, li_step, lif_feed_forward_step, lif_step
from jaxsurrogate._src.lif_scan import POLICIES, li_feed_forward_scan, lif_feed_forward_scan, lif_scan
from jaxsurrogate._src.lif_stack import lif_feed_forward_stack_scan
from jaxsurrogate._src.lif_types import (
    NORSE_METHODS,
    LIFFeedForwardState,
    LIFParameters,
    LIFState,
    LIParameters,
    LIState,
)

__all__ = [
    "NORSE_METHODS",
    "POLICIES",
    "RESETS",
    "RESIDUAL_NAME",
    "LIFFeedForwardState",
    "LIFParameters",
    "LIFState",
    "LIParameters",
    "LIState",
    "fire",
    "li_feed_forward_scan",
    "li_feed_forward_step",
    "li_step",
    "lif_feed_forward_scan",
    "lif_feed_forward_stack_scan",
    "lif_feed_forward_step",
    "lif_scan",
    "lif_step",
]
