"""The catalogue: every surrogate shape the SNN world uses, declared once.

Each entry of ``CATALOGUE`` is ``(spike_function, aliases)``; the registry
registers them under their canonical names.
"""

from __future__ import annotations

CATALOGUE: list = []
