"""Shared test setup.

- float64 on, so that references can be computed exactly; every test states its
  dtypes explicitly and relies on no default.
- 8 simulated CPU devices (unless the caller chose a count), so that the
  sharding tests really shard. Must be set before JAX initialises a backend.
"""

import os

_DEVICES = "--xla_force_host_platform_device_count"
if _DEVICES not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {_DEVICES}=8".strip()

import jax  # noqa: E402

jax.config.update("jax_enable_x64", True)
