"""jaxsurrogate.nir against closed forms in float64, round trips and clear errors."""

from __future__ import annotations

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

nir = pytest.importorskip("nir", reason="pip install '.[nir]'")

import jaxsurrogate as js  # noqa: E402
import jaxsurrogate.nir as jn  # noqa: E402

F64 = dict(dtype=jnp.float64)


def _lif_graph(tau=0.02, threshold=10.0):
    ones = np.ones(2)
    return nir.NIRGraph.from_list(nir.LIF(tau=ones * tau, r=ones * 2.0, v_leak=ones * 0.1,
                                          v_threshold=ones * threshold, v_reset=ones * 0.0))


@pytest.mark.parametrize("integrator", ["euler", "exact"])
def test_lif_below_threshold_is_the_closed_form(integrator):
    dt, tau, r, v_leak, current, n = 1e-3, 0.02, 2.0, 0.1, 0.7, 30
    net = jn.from_nir(_lif_graph(tau), dt=dt, integrator=integrator, **F64)
    state = net.initial_state(jnp.zeros(2))
    for _ in range(n):
        state, z = net.step(net.params, state, jnp.full(2, current))
    factor = 1 - dt / tau if integrator == "euler" else np.exp(-dt / tau)
    target = v_leak + r * current
    want = target + (v_leak - target) * factor ** n  # starts at rest, v = v_leak
    np.testing.assert_allclose(state["nodes"]["lif"]["v"], want, rtol=1e-12)


def test_cuba_lif_exact_step_matches_a_fine_integration():
    tau_s, tau_m, r, w_in, dt = 0.005, 0.01, 1.5, 2.0, 1e-3
    node = nir.CubaLIF(tau_syn=np.full(1, tau_s), tau_mem=np.full(1, tau_m), r=np.full(1, r),
                       v_leak=np.zeros(1), v_threshold=np.full(1, 1e9), w_in=np.full(1, w_in))
    net = jn.from_nir(nir.NIRGraph.from_list(node), dt=dt, integrator="exact", **F64)
    state = net.initial_state(jnp.zeros(1))
    for x in (1.0, 0.0, 0.5):
        state, _ = net.step(net.params, state, jnp.full(1, x))
    # RK4 on the ODEs with a 1e-7 s step, the input held over each dt.
    i = v = 0.0
    h = 1e-7
    for x in (1.0, 0.0, 0.5):
        for _ in range(round(dt / h)):
            def f(i, v):
                return (-i + w_in * x) / tau_s, (-v + r * i) / tau_m
            k1 = f(i, v)
            k2 = f(i + h / 2 * k1[0], v + h / 2 * k1[1])
            k3 = f(i + h / 2 * k2[0], v + h / 2 * k2[1])
            k4 = f(i + h * k3[0], v + h * k3[1])
            i += h / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
            v += h / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
    np.testing.assert_allclose(state["nodes"]["cubalif"]["i"], [i], rtol=1e-9)
    np.testing.assert_allclose(state["nodes"]["cubalif"]["v"], [v], rtol=1e-9)


def test_conv_pool_flatten_affine_against_numpy():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(4, 1, 3, 3))
    b = rng.normal(size=4)
    graph = nir.NIRGraph.from_list(
        nir.Conv2d(input_shape=(6, 6), weight=w, stride=2, padding=1, dilation=1, groups=2,
                   bias=b),
        nir.SumPool2d(kernel_size=np.array([3, 3]), stride=np.array([3, 3]),
                      padding=np.array([0, 0])),
        nir.Flatten(input_type={"input": np.array([4, 1, 1])}, start_dim=0, end_dim=-1),
    )
    net = jn.from_nir(graph, dt=1e-3, **F64)
    x = rng.normal(size=(5, 2, 6, 6))  # batch 5, 2 channels
    _, y = net.step(net.params, net.initial_state(jnp.asarray(x)), jnp.asarray(x))
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    conv = np.zeros((5, 4, 3, 3))
    for o in range(4):
        c = o // 2  # groups 2: outputs 0-1 see channel 0, 2-3 channel 1
        for a in range(3):
            for bb in range(3):
                conv[:, o, a, bb] = (padded[:, c, 2 * a:2 * a + 3, 2 * bb:2 * bb + 3]
                                     * w[o, 0]).sum((1, 2)) + b[o]
    np.testing.assert_allclose(y, conv.sum((2, 3)), rtol=1e-12)


def test_delay_and_a_recurrent_edge_carry_the_past():
    nodes = {"input": nir.Input(np.array([2])),
             "delay": nir.Delay(np.array([0.0, 2e-3])),
             "output": nir.Output(np.array([2]))}
    net = jn.from_nir(nir.NIRGraph(nodes, [("input", "delay"), ("delay", "output")]), dt=1e-3,
                      **F64)
    state, ys = net.run(net.params, jnp.arange(1.0, 6.0)[:, None] * jnp.ones(2))
    np.testing.assert_array_equal(ys, [[1, 0], [2, 0], [3, 1], [4, 2], [5, 3]])
    # A cycle through a Scale: y_t = x_t + 0.5 y_{t-1}.
    nodes = {"input": nir.Input(np.array([1])), "sum": nir.Scale(np.ones(1)),
             "back": nir.Scale(np.full(1, 0.5)), "output": nir.Output(np.array([1]))}
    edges = [("input", "sum"), ("sum", "back"), ("back", "sum"), ("sum", "output")]
    net = jn.from_nir(nir.NIRGraph(nodes, edges), dt=1e-3, **F64)
    _, ys = net.run(net.params, jnp.ones((4, 1)))
    np.testing.assert_allclose(ys[:, 0], [1, 1.5, 1.75, 1.875])


def test_round_trip_is_exact_and_trains(tmp_path):
    rng = np.random.default_rng(1)
    graph = nir.NIRGraph.from_list(
        nir.Affine(rng.normal(size=(3, 2)), rng.normal(size=3)),
        nir.CubaLIF(tau_syn=np.full(3, 5e-3), tau_mem=np.full(3, 1e-2), r=np.ones(3),
                    v_leak=np.zeros(3), v_threshold=np.full(3, 0.2)),
        nir.Linear(rng.normal(size=(2, 3))),
        nir.LI(tau=np.full(2, 2e-2), r=np.ones(2), v_leak=np.zeros(2)))
    xs = jnp.asarray(rng.uniform(0, 3, (50, 4, 2)), jnp.float32)
    net = jn.from_nir(graph, dt=1e-3)
    ys = net.run(net.params, xs)[1]
    nir.write(tmp_path / "net.nir", jn.to_nir(net))
    again = jn.from_nir(tmp_path / "net.nir", dt=1e-3)
    np.testing.assert_array_equal(again.run(again.params, xs)[1], ys)
    grads = jax.jit(jax.grad(lambda p: net.run(p, xs)[1].sum()))(net.params)
    assert all(bool(jnp.all(jnp.isfinite(g))) for g in jax.tree.leaves(grads))
    assert float(jnp.abs(grads["affine"]["weight"]).sum()) > 0


def test_bad_graphs_name_the_node():
    with pytest.raises(jn.NIRError, match="dt must be"):
        jn.from_nir(_lif_graph(), dt=0.0)
    with pytest.raises(jn.NIRError, match=r"'lif' \(LIF\): tau must be finite and > 0"):
        jn.from_nir(_lif_graph(tau=-1.0), dt=1e-3)
    with pytest.raises(jn.NIRError, match="integrator='exact'"):
        jn.from_nir(_lif_graph(), convention="norse", integrator="exact")
    graph = nir.NIRGraph.from_list(nir.Affine(np.ones((3, 2)), np.zeros(3)),
                                   nir.Linear(np.ones((2, 4))), type_check=False)
    net = jn.from_nir(graph, dt=1e-3)
    with pytest.raises(jn.NIRError, match=r"node 'linear' \(Linear\)"):
        net.initial_state(jnp.zeros(2))
    net = jn.from_nir(_lif_graph(), convention="snntorch")
    with pytest.raises(jn.NIRError, match="reset NIR cannot express"):
        jn.to_nir(net)
    nodes = {"input": nir.Input(np.array([1])), "a": nir.Scale(np.ones(1)),
             "stray": nir.Scale(np.ones(1)), "output": nir.Output(np.array([1]))}
    edges = [("input", "a"), ("a", "output"), ("stray", "output")]
    with pytest.raises(jn.NIRError, match=r"nodes \['stray'\] are not reached"):
        jn.from_nir(nir.NIRGraph(nodes, edges, type_check=False), dt=1e-3)


def test_a_network_of_this_library_s_neurons_reads_back_as_it_ran():
    # Norse's LIF (recurrent) and LI steps, written as CubaLIF/CubaLI with
    # w_in = tau_syn / dt, and read back with NIR's equations at the same dt.
    from jaxsurrogate import neurons as n

    rng = np.random.default_rng(2)
    w_in, w_rec = rng.normal(0.15, 0.1, (5, 3)), rng.normal(0.0, 0.2, (5, 5))
    w_out, b_out = rng.normal(size=(2, 5)), rng.normal(size=2)
    p = n.LIFParameters(tau_syn_inv=200.0, tau_mem_inv=100.0, v_leak=0.0, v_th=0.5,
                        v_reset=-0.1)
    q = n.LIParameters(tau_syn_inv=100.0, tau_mem_inv=50.0, v_leak=0.05)
    dt, steps = 1e-3, 60
    xs = jnp.asarray(rng.uniform(0, 1, (steps, 2, 3)))

    def here(xs):
        lif = n.LIFState(z=jnp.zeros((2, 5)), v=jnp.zeros((2, 5)), i=jnp.zeros((2, 5)))
        li = n.LIState(v=jnp.full((2, 2), 0.05), i=jnp.zeros((2, 2)))
        out, spikes = [], []
        for x in xs:
            z, lif = n.lif_step(x, lif, w_in, w_rec, p, dt)
            v, li = n.li_feed_forward_step(z @ w_out.T + b_out, li, q, dt)
            out.append(v)
            spikes.append(z)
        return jnp.stack(out), jnp.stack(spikes)

    want, spikes = here(xs)
    layers = [jn.Dense(w_in), jn.LIFLayer(p, recurrent_weight=w_rec), jn.Dense(w_out, b_out),
              jn.LILayer(q)]
    net = jn.from_nir(jn.to_nir(layers, n_in=3, dt=dt), dt=dt, **F64)
    np.testing.assert_allclose(net.run(net.params, xs)[1], want, rtol=1e-9, atol=1e-12)
    assert 0.05 < float(spikes.mean()) < 0.95
    with pytest.raises(jn.NIRError, match=r"layer1: recurrent_weight must be \(5, 5\)"):
        jn.to_nir([jn.Dense(w_in), jn.LIFLayer(p, recurrent_weight=np.ones((3, 3)))],
                  n_in=3, dt=dt)
    with pytest.raises(jn.NIRError, match=r"layer0 \(Dense\): weight must be \(out, 4\)"):
        jn.to_nir([jn.Dense(w_in)], n_in=4, dt=dt)


def test_the_other_nodes_against_hand_computed_values():
    one = np.ones(1)
    # I and IF integrate dt r x; IF resets to v_reset after v > 1; Threshold spikes above it.
    g = nir.NIRGraph.from_list(nir.I(r=one * 2.0))
    net = jn.from_nir(g, dt=0.1, **F64)
    np.testing.assert_allclose(net.run(net.params, jnp.ones((3, 1)))[1][:, 0], [0.2, 0.4, 0.6])
    g = nir.NIRGraph.from_list(nir.IF(r=one * 2.0, v_threshold=one * 0.5, v_reset=one * -0.1))
    net = jn.from_nir(g, dt=0.1, **F64)
    state, z = net.run(net.params, jnp.ones((4, 1)))
    np.testing.assert_array_equal(z[:, 0], [0, 0, 1, 0])  # 0.2, 0.4, 0.6 -> -0.1, 0.1
    np.testing.assert_allclose(state["nodes"]["if"]["v"], [0.1])
    g = nir.NIRGraph.from_list(nir.Threshold(np.array([0.0, 1.0])))
    net = jn.from_nir(g, dt=0.1, **F64)
    x = jnp.array([0.5, 0.5])
    np.testing.assert_array_equal(net.step(net.params, net.initial_state(x), x)[1], [1, 0])
    # CubaLI, Euler: I = I + dt/tau_s (w x - I), then v with the new I.
    g = nir.NIRGraph.from_list(nir.CubaLI(tau_syn=one * 0.01, tau_mem=one * 0.02, r=one,
                                          v_leak=one * 0.0, w_in=one * 3.0))
    net = jn.from_nir(g, dt=1e-3, **F64)
    i = v = 0.0
    for _ in range(3):
        i += 0.1 * (3.0 - i)
        v += 0.05 * (i - v)
    np.testing.assert_allclose(net.run(net.params, jnp.ones((3, 1)))[1][-1], [v], rtol=1e-14)
    # AvgPool2d and Conv1d (padding 'same', dilation 2) against numpy.
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 1, 4, 4))
    g = nir.NIRGraph.from_list(nir.AvgPool2d(kernel_size=np.array([2, 2]),
                                             stride=np.array([2, 2]), padding=np.array([0, 0])),
                               type_check=False)  # a pool has no types of its own
    net = jn.from_nir(g, dt=1e-3, **F64)
    want = x.reshape(2, 1, 2, 2, 2, 2).mean((3, 5))
    np.testing.assert_allclose(net.step(net.params, net.initial_state(x), jnp.asarray(x))[1],
                               want, rtol=1e-14)
    w, b = rng.normal(size=(2, 1, 3)), rng.normal(size=2)
    g = nir.NIRGraph.from_list(nir.Conv1d(input_shape=7, weight=w, stride=1, padding="same",
                                          dilation=2, groups=1, bias=b))
    net = jn.from_nir(g, dt=1e-3, **F64)
    x = rng.normal(size=(1, 7))
    padded = np.pad(x[0], 2)
    want = np.array([[sum(w[o, 0, k] * padded[t + 2 * k] for k in range(3)) + b[o]
                      for t in range(7)] for o in range(2)])
    x = jnp.asarray(x)
    np.testing.assert_allclose(net.step(net.params, net.initial_state(x), x)[1], want,
                               rtol=1e-12)


def test_a_nested_graph_runs_inside_its_parent():
    inner = nir.NIRGraph.from_list(nir.Scale(np.full(2, 3.0)))
    nodes = {"input": nir.Input(np.array([2])), "inner": inner,
             "bias": nir.Affine(np.eye(2), np.ones(2)), "output": nir.Output(np.array([2]))}
    graph = nir.NIRGraph(nodes, [("input", "inner"), ("inner", "bias"), ("bias", "output")],
                         type_check=False)
    net = jn.from_nir(graph, dt=1e-3, **F64)
    x = jnp.array([1.0, -2.0])
    np.testing.assert_allclose(net.step(net.params, net.initial_state(x), x)[1], [4.0, -5.0])
    assert set(net.params["inner"]) == {"input", "scale", "output"}
    weird = type("Weird", (), {"input_type": {"input": np.array([1])},
                               "output_type": {"output": np.array([1])}, "metadata": {}})()
    with pytest.raises(jn.NIRError, match="node 'x': NIR type Weird is not supported"):
        jn.from_nir(nir.NIRGraph({"input": nir.Input(np.array([1])), "x": weird,
                                  "output": nir.Output(np.array([1]))},
                                 [("input", "x"), ("x", "output")], type_check=False), dt=1e-3)


REFERENCES = sorted((Path(__file__).parent / "data" / "nir").glob("*.npz"))


@pytest.mark.parametrize("reference", REFERENCES, ids=lambda p: p.stem)
def test_reference_files_run_as_their_libraries_ran_them(reference):
    # Norse's and snnTorch's own exports and outputs, saved by
    # tests/data/nir/make_references.py (tests/test_nir_parity.py checks the
    # same live, with the libraries installed); Spyx's and Sinabs's exports
    # and the outputs of those libraries' own imports of them, saved by
    # tests/data/nir/make_peer_references.py.
    data = np.load(reference)
    graph = nir.read(reference.with_suffix(".nir"), type_check=False)
    net = jn.from_nir(graph, convention=str(data["convention"]), dtype=str(data["dtype"]))
    got = np.asarray(net.run(net.params, jnp.asarray(data["inputs"]))[1])
    expected = data["outputs"]
    if str(data["dtype"]) == "float64":
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
    elif np.array_equal(expected, np.round(expected)):
        assert expected.sum() > 50 and (expected == 0).mean() > 0.3  # spikes, not a flat line
        np.testing.assert_array_equal(got, expected)  # every spike (Sinabs: spike counts)
    else:  # Sinabs's ExpLeak potentials: the same spikes beneath, float32 sums
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_the_reference_files_are_all_there():
    assert {p.stem for p in REFERENCES} == {
        "norse_LIFBoxCell", "norse_LIFCell", "snntorch_Leaky_Synaptic", "snntorch_RSynaptic",
        "snntorch_RLeaky", "spyx_LIF", "spyx_CuBaLIF", "sinabs_LIF", "sinabs_IAF_ExpLeak"}


@pytest.mark.parametrize("name", ["spyx_LIF", "spyx_CuBaLIF", "sinabs_LIF"])
def test_peer_files_read_as_nir_are_other_networks(name):
    """The convention is what makes Spyx's and Sinabs's files run as they do."""
    data = np.load(Path(__file__).parent / "data" / "nir" / f"{name}.npz")
    net = jn.from_nir(Path(__file__).parent / "data" / "nir" / f"{name}.nir", dt=1.0)
    got = np.asarray(net.run(net.params, jnp.asarray(data["inputs"]))[1])
    assert (got != data["outputs"]).mean() > 0.05


def test_spyx_spikes_come_from_the_last_potential():
    """One input of 2 to a Spyx LIF (beta 0.5, threshold 1): the spike shows a step later,
    and the subtraction is not decayed: v = 2, then 0.5 * 2 - 1 = 0."""
    graph = nir.NIRGraph.from_list(
        nir.LIF(tau=np.array([2.0]), r=np.array([0.5]), v_leak=np.zeros(1),
                v_threshold=np.ones(1)))
    net = jn.from_nir(graph, convention="spyx", **F64)
    state, z = net.run(net.params, jnp.array([[2.0], [0.0], [0.0]]))
    np.testing.assert_array_equal(z[:, 0], [0.0, 1.0, 0.0])
    assert float(state["nodes"]["lif"]["v"][0]) == 0.0


def test_sinabs_counts_spikes_and_holds_if_at_minus_threshold():
    graph = nir.NIRGraph.from_list(nir.IF(r=np.ones(1), v_threshold=np.full(1, 0.5),
                                          v_reset=np.zeros(1)))
    net = jn.from_nir(graph, convention="sinabs", **F64)
    state, z = net.run(net.params, jnp.array([[1.3], [-4.0], [0.2]]))
    # 1.3 -> 2 spikes, 0.3 left; -3.7 held at -0.5; -0.3
    np.testing.assert_array_equal(z[:, 0], [2.0, 0.0, 0.0])
    np.testing.assert_allclose(state["nodes"]["if"]["v"], [-0.3])
    # the count carries the spike function's surrogate gradient at v - v_threshold
    grad = jax.grad(lambda x: net.run(net.params, x)[1].sum())(jnp.array([[0.7]]))
    np.testing.assert_allclose(grad, [[jax.grad(js.superspike)(0.2)]])


@pytest.mark.parametrize("convention, node, match", [
    ("spyx", nir.LI(tau=np.ones(1), r=np.ones(1), v_leak=np.zeros(1)), "does not read LI"),
    ("sinabs", nir.CubaLIF(tau_syn=np.ones(1), tau_mem=np.ones(1), r=np.ones(1),
                           v_leak=np.zeros(1), v_threshold=np.ones(1), w_in=np.ones(1)),
     "does not read CubaLIF"),
    ("sinabs", nir.LIF(tau=np.ones(1), r=np.ones(1), v_leak=np.full(1, 0.2),
                       v_threshold=np.ones(1)), r"v_leak = 0.2, which convention 'sinabs'"),
    ("spyx", nir.LIF(tau=np.ones(1), r=np.ones(1), v_leak=np.zeros(1), v_threshold=np.ones(1),
                     v_reset=np.full(1, -1.0)), "v_reset = -1, which convention 'spyx'"),
    ("snntorch", nir.LIF(tau=np.ones(1), r=np.ones(1), v_leak=np.zeros(1),
                         v_threshold=np.ones(1), v_reset=np.full(1, 0.5)),
     "v_reset = 0.5, which convention 'snntorch'"),
])
def test_what_a_peer_does_not_read_is_refused(convention, node, match):
    with pytest.raises(jn.NIRError, match=match):
        jn.from_nir(nir.NIRGraph.from_list(node), convention=convention)


def test_peer_conventions_step_as_their_libraries_do():
    graph = nir.NIRGraph.from_list(nir.LIF(tau=np.ones(1), r=np.ones(1), v_leak=np.zeros(1),
                                           v_threshold=np.ones(1)))
    with pytest.raises(jn.NIRError, match="convention 'sinabs' steps by 'exact'"):
        jn.from_nir(graph, convention="sinabs", integrator="euler")
    net = jn.from_nir(graph, convention="spyx")
    with pytest.raises(jn.NIRError, match="in a way NIR's equations cannot say"):
        jn.to_nir(net)
