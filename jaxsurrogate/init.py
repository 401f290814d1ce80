"""Fluctuation-driven initialization of spiking layers (Rossbroich, Gygax and Zenke, 2022).

Each layer's weights are drawn so that its neurons' potential starts with a
chosen mean ``mu_u``, ``xi`` standard deviations below the threshold, for
inputs firing at a given rate, so that deep networks start neither silent
nor saturated at any surrogate width. The PSP kernel comes from Norse's LIF
step at the caller's ``dt`` (:func:`psp_moments`); :func:`weight_moments` is
the formula, :func:`fluctuation_driven` an initializer for Flax, Haiku,
Equinox or plain JAX, and :func:`layerwise` initializes a stack from a
batch of data, layer by layer, as stork does. docs/init.md has the maths.
"""

from jaxsurrogate._src.fluctuation_init import (
    firing_rate,
    fluctuation_driven,
    layerwise,
    psp_moments,
    weight_moments,
)

__all__ = ["firing_rate", "fluctuation_driven", "layerwise", "psp_moments", "weight_moments"]
