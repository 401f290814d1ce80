"""Sphinx configuration of jaxsurrogate's documentation.

Build: ``python -m sphinx -W --keep-going -b html docs docs/_build/html``
(``pip install -e ".[docs]"`` first). The per-shape pages, their plots and the
preset pages are generated from the registry at build time by
``docs/_ext/jsdocs.py`` into ``docs/_generated/`` (not committed).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import jaxsurrogate  # noqa: E402

project = "jaxsurrogate"
author = "jaxsurrogate developers"
copyright = "2026, jaxsurrogate developers"
release = version = jaxsurrogate.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    # MathJax 3 copied into _static/mathjax: the maths renders without the web.
    "sphinx-mathjax-offline",
    "sphinx.ext.viewcode",
    "jsdocs",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
suppress_warnings: list[str] = []

# MyST: $...$ maths as in the catalogue tables, ::: fences, anchors for ## and ###.
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# The docstrings are Google style with reStructuredText maths.
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False  # "Returns: Spikes: 1 where ..." reads as written
napoleon_custom_sections = [("Reference", "references")]
autodoc_member_order = "bysource"
autodoc_typehints = "signature"

html_theme = "sphinx_book_theme"
html_title = f"jaxsurrogate {release}"
html_theme_options = {
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "use_download_button": False,
}

html_static_path = ["_static"]
html_css_files = ["custom.css"]
