"""Writes NIR reference files from Sinabs and Spyx: each library's own export
of a small network and the outputs of that library's own import of the file
over 100 steps (what the library means when it reads the file).

Run from the repository root in an environment with torch 2.13.0, nir 1.0.8,
nirtorch 2.6, Sinabs 3.1.3, and Spyx 1.0.0 (Flax NNX; jax 0.10.2, flax 0.12.8):

    python tests/data/nir/make_peer_references.py

Each ``<name>.nir`` is the library's export (``sinabs.to_nir`` /
``spyx.nir.to_nir`` with dt=1); ``<name>.npz`` holds ``inputs`` (time-major
[T, batch, 4]) and ``outputs`` (time-major [T, batch, n]) of the network that
``sinabs.from_nir`` / ``spyx.nir.from_nir`` (dt=1) builds from the written
file, ``convention`` and ``dtype``. The script also prints whether the
exported module and the re-imported one agree (for Sinabs they need not:
the export drops ``norm_input`` and the import adds ``min_v_mem``).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
T, BATCH = 100, 2


def _inputs() -> np.ndarray:
    return np.random.default_rng(1).uniform(0.0, 0.6, (T, BATCH, 4)).astype(np.float32)


def main() -> None:
    import nir

    warnings.simplefilter("ignore")
    _sinabs(nir)
    _spyx(nir)


def _sinabs(nir) -> None:
    import sinabs
    import sinabs.layers as sl
    import torch
    from torch import nn

    def linear(weight, bias):
        layer = nn.Linear(len(weight[0]), len(weight))
        layer.weight.data = torch.tensor(weight, dtype=torch.float32)
        layer.bias.data = torch.tensor(bias, dtype=torch.float32)
        return layer

    models = {
        "sinabs_LIF": nn.Sequential(
            linear([[0.5, 0.5, 0.3, -0.2], [0.4, -0.3, 0.6, 0.2], [1.3, 1.3, -0.5, 0.9]],
                   [0.05, -0.05, 0.05]),
            sl.LIFSqueeze(batch_size=BATCH, tau_mem=torch.tensor([2.0, 5.0, 10.0]),
                          spike_threshold=torch.ones(3)),
        ),
        "sinabs_IAF_ExpLeak": nn.Sequential(
            linear([[0.4, 0.3, 0.2, 0.1], [0.9, 0.8, 0.7, 0.6], [-2.0, 1.8, 1.5, -1.5]],
                   [0.0, 0.0, 0.0]),
            sl.IAFSqueeze(batch_size=BATCH),
            linear([[0.5, -0.3, 0.8], [0.2, 0.6, -0.4]], [0.1, -0.1]),
            sl.ExpLeakSqueeze(batch_size=BATCH, tau_mem=torch.tensor([3.0, 8.0])),
        ),
    }
    xs = _inputs()
    # Squeeze layers take (batch * time, n), batch-major.
    flat = torch.as_tensor(xs).transpose(0, 1).reshape(BATCH * T, 4)
    for name, model in models.items():
        graph = sinabs.to_nir(model, torch.zeros(BATCH, 4))
        nir.write(HERE / f"{name}.nir", graph)
        imported = sinabs.from_nir(nir.read(HERE / f"{name}.nir"), batch_size=BATCH)
        with torch.no_grad():
            outputs, _ = imported(flat)
            sinabs.reset_states(model)
            exported = model(flat)
        same = torch.equal(outputs, exported)
        print(f"{name}: exported and re-imported modules agree: {same}")
        outputs = outputs.reshape(BATCH, T, -1).transpose(0, 1).numpy()
        _save(name, xs, outputs, "sinabs", "float32")


def _spyx(nir) -> None:
    import jax.numpy as jnp
    import spyx
    from flax import nnx

    def network(weight, neuron, **decays):
        rngs = nnx.Rngs(0)
        weight = jnp.asarray(weight, dtype=jnp.float32)
        linear = nnx.Linear(4, 3, use_bias=False, rngs=rngs)
        linear.kernel[...] = weight.T
        cell = neuron((3,), rngs=rngs)
        for key, value in decays.items():  # per-neuron decays: set after init
            getattr(cell, key)[...] = jnp.asarray(value, dtype=jnp.float32)
        return spyx.nn.Sequential(linear, cell)

    models = {
        "spyx_LIF": network([[0.6, 0.5, 0.4, 0.3], [0.3, -0.1, 0.4, 0.1],
                             [1.0, 0.8, -0.6, 0.9]],
                            spyx.nn.LIF, beta=[0.5, 0.8, 0.9]),
        "spyx_CuBaLIF": network([[0.4, 0.3, 0.3, 0.2], [0.2, -0.1, 0.15, 0.05],
                                 [0.1, 0.1, -0.1, 0.05]],
                                spyx.nn.CuBaLIF, alpha=[0.3, 0.6, 0.8], beta=[0.5, 0.8, 0.9]),
    }
    xs = _inputs()
    for name, model in models.items():
        graph = spyx.nir.to_nir(model, {"input": np.array([4])}, {"output": np.array([3])},
                                dt=1)
        nir.write(HERE / f"{name}.nir", graph)
        _, outputs = spyx.nir.from_nir(nir.read(HERE / f"{name}.nir"), jnp.asarray(xs), dt=1)
        exported, _ = spyx.nn.run(model, jnp.asarray(xs))
        same = bool(jnp.array_equal(outputs, exported))
        print(f"{name}: exported and re-imported modules agree: {same}")
        _save(name, xs, np.asarray(outputs), "spyx", "float32")


def _save(name: str, inputs, outputs, convention: str, dtype: str) -> None:
    np.savez_compressed(HERE / f"{name}.npz", inputs=inputs, outputs=outputs,
                        convention=convention, dtype=dtype)
    print(f"wrote {name}.nir and {name}.npz; outputs {outputs.shape}, "
          f"sum {float(np.sum(outputs)):g}, nonzero {int(np.count_nonzero(outputs))}")


if __name__ == "__main__":
    main()
