"""Writes the NIR reference files tests/test_nir.py reads: each library's own
export of a small network and that library's own outputs over 100 steps.

Run from the repository root with torch 2.13.0, Norse 1.1.0, snnTorch 1.0.0
and nir installed (the parity extra):

    python tests/data/nir/make_references.py

Each ``<name>.nir`` is the library's export; ``<name>.npz`` holds ``inputs``
(time-major) and ``outputs`` (the library's, computed here from the same
model), ``convention`` and ``dtype``. The models are those of
tests/test_nir_parity.py, which checks the same things live.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))


def main() -> None:
    import nir
    import torch
    from norse.torch.utils.export_nir import to_nir
    from snntorch.export_nir import export_to_nir

    from tests import test_nir_parity as parity

    warnings.simplefilter("ignore")
    for cell in ("LIFBoxCell", "LIFCell"):
        model = parity._norse_model(cell)
        xs = parity._inputs(4)
        outputs = parity._run_torch(model, xs)
        graph = to_nir(model, torch.zeros(1, 4, dtype=torch.float64))
        _save(nir, f"norse_{cell}", graph, xs, outputs, "norse", "float64")
    for kind in ("Leaky+Synaptic", "RSynaptic", "RLeaky"):
        model = parity._snntorch_model(kind)
        xs = np.random.default_rng(1).uniform(0.0, 0.6, (parity.T, parity.BATCH, 4))
        xs = xs.astype(np.float32)
        graph = export_to_nir(model, torch.zeros(1, 4), ignore_dims=[0])
        for module in model:
            if hasattr(module, "reset_hidden"):
                module.reset_hidden()
        with torch.no_grad():
            outputs = np.stack([model(x)[0].numpy() for x in torch.as_tensor(xs)])
        _save(nir, f"snntorch_{kind.replace('+', '_')}", graph, xs, outputs, "snntorch",
              "float32")


def _save(nir, name: str, graph, inputs, outputs, convention: str, dtype: str) -> None:
    nir.write(HERE / f"{name}.nir", graph)
    np.savez_compressed(HERE / f"{name}.npz", inputs=inputs, outputs=outputs,
                        convention=convention, dtype=dtype)
    print(f"wrote {name}.nir and {name}.npz")


if __name__ == "__main__":
    main()
