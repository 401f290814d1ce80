"""Presets: other libraries' maths exactly, named ``"<library>.<their name>"``.

``PRESETS`` maps each preset name to its spike function.
"""

from __future__ import annotations

PRESETS: dict = {}
