"""Shared test setup: float64 on, so that references can be computed exactly.

Every test states its dtypes explicitly; nothing relies on JAX's default.
"""

import jax

jax.config.update("jax_enable_x64", True)
