"""NIR files written by Norse 1.1.0 and snnTorch 1.0.0 themselves, read here.

Each library's network runs a 100-step input in torch; its own NIR export
(``norse.torch.utils.export_nir.to_nir``, ``snntorch.export_nir.export_to_nir``)
is read with ``jaxsurrogate.nir.from_nir`` under that library's convention and
runs the same input: the same spikes, and the same potentials to float64
rounding. Skips, saying why, where torch, Norse, snnTorch or nir are absent;
CI installs them.
"""

from __future__ import annotations

import warnings

import jax.numpy as jnp
import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="parity needs torch==2.13.0 (pip install '.[parity]')")
pytest.importorskip("nir", reason="pip install '.[nir]'")

import jaxsurrogate.nir as jn  # noqa: E402

T, BATCH = 100, 3


def _inputs(n_in: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(0.0, 2.0, (T, BATCH, n_in))


def _ours(graph, xs: np.ndarray, convention: str, dtype=jnp.float64):
    net = jn.from_nir(graph, convention=convention, dtype=dtype)
    return np.asarray(net.run(net.params, jnp.asarray(xs))[1])


def _norse_model(cell: str):
    norse = pytest.importorskip("norse.torch", reason="pip install --no-deps norse==1.1.0")
    torch.manual_seed(0)
    f64 = dict(dtype=torch.float64)
    if cell == "LIFBoxCell":
        neuron = norse.LIFBoxCell(norse.LIFBoxParameters(
            tau_mem_inv=torch.full((5,), 100.0, **f64), v_leak=torch.full((5,), 0.1, **f64),
            v_th=torch.full((5,), 0.6, **f64), v_reset=torch.zeros(5, **f64)))
    elif cell == "LIFCell":
        neuron = norse.LIFCell(norse.LIFParameters(
            tau_syn_inv=torch.full((5,), 200.0, **f64), tau_mem_inv=torch.full((5,), 100.0, **f64),
            v_leak=torch.zeros(5, **f64), v_th=torch.full((5,), 0.3, **f64),
            v_reset=torch.zeros(5, **f64)))
    readout = norse.LIBoxCell(norse.LIBoxParameters(
        tau_mem_inv=torch.full((2,), 50.0, **f64), v_leak=torch.zeros(2, **f64)))
    return norse.SequentialState(torch.nn.Linear(4, 5).double(), neuron,
                                 torch.nn.Linear(5, 2).double(), readout)


def _run_torch(model, xs: np.ndarray) -> np.ndarray:
    state, out = None, []
    with torch.no_grad():
        for x in torch.as_tensor(xs):
            y, state = model(x, state)
            out.append(y.numpy())
    return np.stack(out)


@pytest.mark.parametrize("cell", ["LIFBoxCell", "LIFCell"])
def test_a_norse_file_runs_as_norse_ran_it(cell):
    from norse.torch.utils.export_nir import to_nir

    model = _norse_model(cell)
    xs = _inputs(4)
    want = _run_torch(model, xs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        graph = to_nir(model, torch.zeros(1, 4, dtype=torch.float64))
    got = _ours(graph, xs, "norse")
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    assert np.abs(want).max() > 0.1  # the readout moved: spikes went through


def _snntorch_model(kind: str):
    snn = pytest.importorskip("snntorch", reason="pip install --no-deps snntorch==1.0.0")
    torch.manual_seed(0)
    full = lambda n, v: torch.full((n,), v)  # noqa: E731
    if kind == "Leaky+Synaptic":
        return torch.nn.Sequential(
            torch.nn.Linear(4, 5),
            snn.Leaky(beta=full(5, 0.9), threshold=full(5, 1.0), init_hidden=True),
            torch.nn.Linear(5, 3),
            snn.Synaptic(alpha=full(3, 0.8), beta=full(3, 0.85), threshold=full(3, 1.0),
                         init_hidden=True, output=True))
    recurrent = (snn.RSynaptic(alpha=0.7, beta=0.8, linear_features=5, threshold=1.0,
                               init_hidden=True, output=True) if kind == "RSynaptic" else
                 snn.RLeaky(beta=0.8, linear_features=5, threshold=1.0, init_hidden=True,
                            output=True))
    return torch.nn.Sequential(torch.nn.Linear(4, 5), recurrent)


def _snntorch_spikes(kind: str) -> tuple:
    """snnTorch's export of the network and its own spikes over the input; ours
    under both readings: (snntorch's convention, NIR's, snnTorch's spikes)."""
    from snntorch.export_nir import export_to_nir

    model = _snntorch_model(kind)
    xs = np.random.default_rng(1).uniform(0.0, 0.6, (T, BATCH, 4)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        graph = export_to_nir(model, torch.zeros(1, 4), ignore_dims=[0])
    for module in model:  # a fresh start after the export's trace
        if hasattr(module, "reset_hidden"):
            module.reset_hidden()
    with torch.no_grad():
        want = np.stack([model(x)[0].numpy() for x in torch.as_tensor(xs)])
    ours = []
    for convention in ("snntorch", "nir"):
        net = jn.from_nir(graph, convention=convention, dt=1e-4)
        ours.append(np.asarray(net.run(net.params, jnp.asarray(xs))[1]))
    return (*ours, want)


def test_an_snntorch_file_runs_as_snntorch_ran_it():
    # Leaky and Synaptic (snnTorch's defaults: subtraction one step late):
    # spike for spike in float32. NIR's own reading (reset to zero on the
    # spike's step) is another network.
    got, other, want = _snntorch_spikes("Leaky+Synaptic")
    np.testing.assert_array_equal(got, want)
    assert 0.05 < want.mean() < 0.95
    assert (other != want).mean() > 0.01


@pytest.mark.parametrize("kind", ["RSynaptic", "RLeaky"])
def test_an_snntorch_recurrent_file_runs_as_snntorch_ran_it(kind):
    # Written as a neuron and an Affine in a cycle: the edge back carries the
    # last step's spikes through the Affine, and before the first step the
    # Affine's output for no spikes (its bias), as snnTorch adds it.
    got, other, want = _snntorch_spikes(kind)
    np.testing.assert_array_equal(got, want)
    assert 0.05 < want.mean() < 0.95
    assert (other != want).mean() > 0.01


def test_a_file_written_here_runs_in_norse():
    # Norse's own from_nir (1.1.0) reads CubaLIF as a leaky synapse then a
    # LIF box at dt = 1e-3, in float32; it leaves out LI nodes and v_reset
    # (taking 0), so the network is LIF layers with v_reset = 0.
    pytest.importorskip("norse.torch", reason="pip install --no-deps norse==1.1.0")
    from norse.torch.utils.import_nir import from_nir as norse_from_nir

    from jaxsurrogate import neurons as n

    rng = np.random.default_rng(3)
    p = n.LIFParameters(tau_syn_inv=200.0, tau_mem_inv=100.0, v_leak=0.0, v_th=0.5,
                        v_reset=0.0)
    layers = [jn.Dense(rng.normal(0.15, 0.1, (5, 3)), rng.normal(0, 0.05, 5)), jn.LIFLayer(p),
              jn.Dense(rng.normal(0.3, 0.3, (4, 5))), jn.LIFLayer(p)]
    graph = jn.to_nir(layers, n_in=3, dt=1e-3)
    xs = rng.uniform(0, 1, (T, 2, 3)).astype(np.float32)
    net = jn.from_nir(graph, dt=1e-3)
    ours = np.asarray(net.run(net.params, jnp.asarray(xs))[1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        model = norse_from_nir(graph)
    np.testing.assert_array_equal(ours, _run_torch(model, xs))
    assert 0.02 < ours.mean() < 0.98


def test_a_norse_convolutional_file_runs_as_norse_ran_it():
    # Conv2d (stride 2, padding 1) into LIFBoxCell neurons, one per output pixel.
    norse = pytest.importorskip("norse.torch", reason="pip install --no-deps norse==1.1.0")
    from norse.torch.utils.export_nir import to_nir

    torch.manual_seed(0)
    f64 = dict(dtype=torch.float64)
    conv = torch.nn.Conv2d(1, 2, 3, stride=2, padding=1).double()
    with torch.no_grad():
        conv.weight.abs_()  # a positive drive: the neurons spike
    full = lambda v: torch.full((2, 3, 3), v, **f64)  # noqa: E731
    model = norse.SequentialState(conv, norse.LIFBoxCell(norse.LIFBoxParameters(
        tau_mem_inv=full(100.0), v_leak=full(0.0), v_th=full(0.3), v_reset=full(0.0))))
    xs = np.random.default_rng(0).uniform(0, 2, (T, BATCH, 1, 6, 6))
    want = _run_torch(model, xs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        graph = to_nir(model, torch.zeros(1, 1, 6, 6, **f64))
    np.testing.assert_array_equal(_ours(graph, xs, "norse"), want)
    assert 0.05 < want.mean() < 0.95
