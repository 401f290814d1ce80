"""Adapt the width: js.adaptive against float64 numpy restatements of the rules.

The rules are restated from the authors' code (DS-ATGO's two-branch width,
twice the std, MPD-AGL's stand-in), the stretched surrogates from each shape's formula;
nothing here is computed by jaxsurrogate.
"""

from __future__ import annotations

import pickle

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

import jaxsurrogate as js

try:
    from jax import shard_map
except ImportError:  # jax < 0.7
    from jax.experimental.shard_map import shard_map

RNG = np.random.default_rng(11)


def np_ds_atgo(std, w0=1.0, v0=1.0):
    # jqjiang1999/DS-ATGO surrogate.py, SG: two branches around V0
    return np.where(std <= v0, w0 * (1 - np.tanh(v0 - std)), w0 * (1 + np.tanh(std - v0)))


def np_two_std(std):
    return 2 * std


def np_rectangle(x, a):
    return np.where(np.abs(x) < 1 / (2 * a), a, 0.0)


def np_superspike(x, a):
    return 1 / (a * np.abs(x) + 1) ** 2


def stretched(np_g, x, a, w):
    return np_g(x / w, a) / w


def grad_sum(f, x, *args, **kwargs):
    return jax.grad(lambda v: f(v, *args, **kwargs).sum())(x)


@pytest.mark.parametrize("rule,np_rule", [("ds_atgo", np_ds_atgo), ("two_std", np_two_std)])
@pytest.mark.parametrize("scale", [0.1, 0.8, 1.0, 3.0])
def test_gradient_is_the_stretched_surrogate_of_the_rule(rule, np_rule, scale):
    x = scale * RNG.normal(size=(6, 50))
    w = np_rule(np.std(x, ddof=1))
    rect, spike = js.adaptive(js.rectangle, rule=rule), js.adaptive(js.superspike, rule=rule)
    x64 = jnp.asarray(x)
    np.testing.assert_allclose(rect.width(x64), [[w]], rtol=1e-13)
    # with alpha 1 the rectangle is the papers' (1/w) 1[|x| < w/2]
    np.testing.assert_allclose(grad_sum(rect, x64), np.where(np.abs(x) < w / 2, 1 / w, 0.0),
                               rtol=1e-13)
    np.testing.assert_allclose(grad_sum(rect, x64, 3.0), stretched(np_rectangle, x, 3.0, w),
                               rtol=1e-13)
    np.testing.assert_allclose(grad_sum(spike, x64, 10.0), stretched(np_superspike, x, 10.0, w),
                               rtol=1e-12)


def test_forward_is_the_step_of_x_bit_for_bit():
    f = js.adaptive(js.superspike, rule="two_std")
    for dtype in (jnp.float16, jnp.bfloat16, jnp.float32, jnp.float64):
        tiny = float(jnp.finfo(dtype).smallest_subnormal)
        x = jnp.asarray([0.0, -0.0, tiny, -tiny, 1e-3, -2.0, 300.0, 5.0], dtype)
        out = f(x)
        assert out.dtype == dtype
        np.testing.assert_array_equal(out, js.superspike(x))
        # x / w underflows the subnormal, the spike does not
        assert float(out[2]) == 1.0
    # a NaN or an inf spoils the statistics, not the forward
    x = jnp.asarray([jnp.nan, 1.0, -1.0, jnp.inf], jnp.float32)
    np.testing.assert_array_equal(f(x), [0.0, 1.0, 0.0, 1.0])
    assert np.isnan(np.asarray(grad_sum(f, x))).all()


def test_ds_atgo_width_over_its_range():
    f = js.adaptive(js.rectangle)
    base = RNG.normal(size=400)
    base = (base - base.mean()) / base.std(ddof=1)  # std exactly 1 (to rounding)
    for std in [0.0, 0.2, 0.5, 1.0, 2.0, 6.0]:
        w = float(f.width(jnp.asarray(std * base))[0])
        assert w == pytest.approx(float(np_ds_atgo(std)), rel=1e-12, abs=1e-15)
    assert float(np_ds_atgo(0.0)) == pytest.approx(0.238405844044235, rel=1e-12)


def test_per_neuron_axis_and_constant_layer_floor():
    x = RNG.normal(size=(64, 3)) * np.array([0.2, 1.0, 5.0])
    f = js.adaptive(js.rectangle, rule="ds_atgo", axis=0)
    w = np_ds_atgo(np.std(x, axis=0, ddof=1))
    np.testing.assert_allclose(f.width(jnp.asarray(x)), w[None], rtol=1e-13)
    np.testing.assert_allclose(grad_sum(f, jnp.asarray(x)), np.where(np.abs(x) < w / 2, 1 / w, 0),
                               rtol=1e-13)
    # all potentials equal: two_std's 2 std is 0, floored at float32's epsilon
    g = js.adaptive(js.superspike, rule="two_std")
    x = -jnp.ones(8, jnp.float32)
    assert float(g.width(x)[0]) == float(jnp.finfo(jnp.float32).eps)
    assert np.isfinite(np.asarray(grad_sum(g, x))).all()


def test_a_callable_rule_and_learn_alpha():
    f = js.adaptive(js.rectangle, rule=lambda std: 0.5 * std + 0.25)
    x = RNG.normal(size=100)
    w = 0.5 * np.std(x, ddof=1) + 0.25
    np.testing.assert_allclose(grad_sum(f, jnp.asarray(x), 2.0), stretched(np_rectangle, x, 2.0, w),
                               rtol=1e-13)
    # alpha's cotangent is d/dalpha of S(x / w; alpha) = alpha clip(x / w, +-1/(2 alpha))
    def np_s(a):
        return np.sum(a * np.clip(x / w, -1 / (2 * a), 1 / (2 * a)))

    ga = jax.grad(lambda a: f(jnp.asarray(x), a, learn_alpha=True).sum())(jnp.asarray(2.0))
    h = 1e-6
    assert float(ga) == pytest.approx((np_s(2.0 + h) - np_s(2.0 - h)) / (2 * h), rel=1e-6)


def test_scan_jit_and_one_compilation_for_many_alphas():
    f = js.adaptive(js.superspike, rule="ds_atgo")
    xs = RNG.normal(size=(5, 8, 16)) * np.arange(1, 6)[:, None, None] * 0.3
    traces = []

    @jax.jit
    def grads(xs, alpha):
        traces.append(None)

        def step(carry, x):
            return carry, jax.grad(lambda v: f(v, alpha).sum())(x)

        return jax.lax.scan(step, 0.0, xs)[1]

    for alpha in (1.0, 10.0, 100.0):
        got = grads(jnp.asarray(xs), jnp.asarray(alpha))
        for t in range(5):  # one width per time step
            w = np_ds_atgo(np.std(xs[t], ddof=1))
            np.testing.assert_allclose(got[t], stretched(np_superspike, xs[t], alpha, w),
                                       rtol=1e-12)
    assert len(traces) == 1


def test_vmap_per_instance_and_pooled_with_axis_name():
    x = RNG.normal(size=(4, 30)) * np.array([0.3, 1.0, 2.0, 4.0])[:, None]
    own = jax.vmap(lambda v: grad_sum(js.adaptive(js.rectangle), v))(jnp.asarray(x))
    for i in range(4):
        w = np_ds_atgo(np.std(x[i], ddof=1))
        np.testing.assert_allclose(own[i], np.where(np.abs(x[i]) < w / 2, 1 / w, 0), rtol=1e-13)
    pooled_fn = js.adaptive(js.rectangle, axis_name="batch")
    pooled = jax.vmap(lambda v: grad_sum(pooled_fn, v), axis_name="batch")(jnp.asarray(x))
    w = np_ds_atgo(np.std(x, ddof=1))
    np.testing.assert_allclose(pooled, np.where(np.abs(x) < w / 2, 1 / w, 0), rtol=1e-13)


def test_sharded_over_8_devices():
    assert len(jax.devices()) == 8, "conftest simulates 8 CPU devices"
    mesh = Mesh(np.array(jax.devices()), ("data",))
    x = RNG.normal(size=(32, 12)) * 1.7
    w = np_ds_atgo(np.std(x, ddof=1))
    want = stretched(np_superspike, x, 5.0, w)
    f = js.adaptive(js.superspike)
    # jit over a batch-sharded global array: the statistics are global
    xs = jax.device_put(jnp.asarray(x), NamedSharding(mesh, P("data")))
    got = jax.jit(lambda v: grad_sum(f, v, 5.0))(xs)
    assert len(got.sharding.device_set) == 8
    np.testing.assert_allclose(got, want, rtol=1e-12)
    # shard_map: each device sees 4 rows; axis_name pools them
    pooled = js.adaptive(js.superspike, axis_name="data")
    sharded = shard_map(lambda v: grad_sum(pooled, v, 5.0), mesh=mesh,
                            in_specs=P("data"), out_specs=P("data"))
    np.testing.assert_allclose(jax.jit(sharded)(xs), want, rtol=1e-12)
    # without axis_name each device would use its own 4 rows
    local = shard_map(lambda v: grad_sum(f, v, 5.0), mesh=mesh, in_specs=P("data"),
                          out_specs=P("data"))
    assert not np.allclose(jax.jit(local)(xs), want, rtol=1e-6)


def test_fire_lif_and_forward_mode():
    f = js.adaptive(js.superspike)
    v = jnp.asarray(RNG.normal(size=(16, 8)) + 1.0)
    w = np_ds_atgo(np.std(np.asarray(v) - 1.0, ddof=1))
    g = jax.grad(lambda v: js.fire(v, 1.0, spike=f, alpha=10.0)[0].sum())(v)
    np.testing.assert_allclose(g, stretched(np_superspike, np.asarray(v) - 1.0, 10.0, w),
                               rtol=1e-12)
    p = js.neurons.LIFParameters(method=f, alpha=10.0)
    state = js.neurons.LIFFeedForwardState(jnp.zeros((16, 8)), jnp.zeros((16, 8)))
    z, _ = js.neurons.lif_feed_forward_step(20.0 * v, state, p)
    np.testing.assert_array_equal(z, js.neurons.lif_feed_forward_step(
        20.0 * v, state, p._replace(method=js.superspike))[0])
    twin = js.adaptive(js.forward_mode(js.superspike))
    x = v - 1.0
    _, tangent = jax.jvp(lambda x: twin(x, 10.0), (x,), (jnp.ones_like(x),))
    np.testing.assert_allclose(tangent, stretched(np_superspike, np.asarray(x), 10.0, w),
                               rtol=1e-12)


def test_pickles_to_the_same_object_and_repr():
    f = js.adaptive(js.get("super"), rule="two_std", axis=(0, 1))
    assert pickle.loads(pickle.dumps(f)) is f
    assert js.adaptive(js.superspike, rule="two_std", axis=(0, 1)) is f
    assert "two_std" in repr(f) and f.declaration is js.superspike.declaration


def test_errors_name_the_argument():
    with pytest.raises(TypeError, match="adaptive: f must be a jaxsurrogate spike function"):
        js.adaptive(lambda x: x > 0)
    with pytest.raises(TypeError, match="adaptive: f is already adaptive"):
        js.adaptive(js.adaptive(js.superspike))
    with pytest.raises(ValueError, match="adaptive: rule: unknown rule 'ds_atg'; did you mean "
                                         "'ds_atgo'"):
        js.adaptive(js.superspike, rule="ds_atg")
    with pytest.raises(TypeError, match="adaptive: rule must be one of"):
        js.adaptive(js.superspike, rule=3)
    for axis in (1.0, (), "0", (0, True)):
        with pytest.raises(TypeError, match="adaptive: axis must be None, an int"):
            js.adaptive(js.superspike, axis=axis)
    with pytest.raises(ValueError, match="adaptive: axis has repeated entries"):
        js.adaptive(js.superspike, axis=(0, 0))
    with pytest.raises(TypeError, match="adaptive: axis_name must be a hashable"):
        js.adaptive(js.superspike, axis_name=["data"])
    f = js.adaptive(js.superspike, axis=2)
    with pytest.raises(ValueError, match=r"adaptive: axis 2 is out of range for x of rank 2"):
        f(jnp.zeros((3, 4)))
    with pytest.raises(ValueError, match="names an axis of x twice"):
        js.adaptive(js.superspike, axis=(0, -2))(jnp.zeros((3, 4)))
    with pytest.raises(ValueError, match="needs at least 2 values"):
        js.adaptive(js.superspike, axis=0)(jnp.zeros((1, 4)))
    with pytest.raises(TypeError, match="x must have a floating dtype"):
        js.adaptive(js.superspike)(jnp.zeros(4, jnp.int32))
    with pytest.raises(ValueError, match="superspike: alpha must be finite and > 0"):
        js.adaptive(js.superspike)(jnp.zeros(4), -1.0)


def test_strict_promotion_rank_raise_and_half_precision():
    x = RNG.normal(size=(8, 5))
    with jax.numpy_dtype_promotion("strict"), jax.numpy_rank_promotion("raise"):
        for f in (js.adaptive(js.superspike), js.adaptive(js.rectangle, rule="two_std", axis=0)):
            g = grad_sum(f, jnp.asarray(x, jnp.float32), 2.0)
            assert g.dtype == jnp.float32 and np.isfinite(np.asarray(g)).all()
        half = jnp.asarray(x, jnp.bfloat16)
        f = js.adaptive(js.superspike)
        g = jax.grad(lambda v: f(v, 2.0).astype(jnp.float32).sum())(half)
    assert f(half).dtype == g.dtype == jnp.bfloat16
    # the width of a half-precision x is computed in float32
    w = np_ds_atgo(np.std(np.asarray(half, np.float64), ddof=1))
    assert float(f.width(half)[0, 0]) == pytest.approx(w, rel=1e-6)
