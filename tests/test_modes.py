"""The JAX modes large codebases run in: export, strict promotion, rank promotion, pickling.

Each test holds for every name and preset; where that would mean hundreds of
compilations, the names are batched into one jitted program.
"""

from __future__ import annotations

import inspect
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import export
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jaxsurrogate as js
from jaxsurrogate._src import mechanism
from tests.helpers import (
    FLOATS,
    import_from,
    derivative_of,
    every_maths,
    grad_of,
    is_step,
    key_kwargs,
    spike_call,
    spike_values,
)

ALL = [*js.names(), *js.presets()]
WITH_ALPHA = [n for n in ALL if js.get(n).declaration.alpha is not None]
# What a mode exercises is the mechanism and each shape's maths: every maths,
# one preset per library (a preset changes only constants and H(0)).
MATHS = every_maths()
PLATFORMS = ("cpu", "cuda", "rocm", "tpu")
ROOT = Path(__file__).resolve().parents[1]


def _alpha(fn, dtype=np.float32):
    return np.asarray(fn.declaration.alpha or 0.5, dtype)


def _call(fn, x, alpha, key):
    """fn at x with alpha (ignored by alpha-less shapes) and key (stochastic only)."""
    args = () if fn.declaration.alpha is None else (alpha,)
    kw = {"key": key} if fn.declaration.stochastic else {}
    return fn(x, *args, **kw)


# --------------------------------------------------------------------------
# Symbolic export and lowering for every platform


def test_symbolic_export_for_every_platform_serializes_and_runs():
    # Every name and preset in one exported program: x (b, n) with a symbolic
    # batch, a per-neuron alpha (n,) each, a raw uint32 key for the stochastic ones.
    fns = [js.get(name) for name in ALL]
    b, = export.symbolic_shape("b")

    def all_spikes(x, alphas, key):
        return [_call(fn, x, alphas[i], key) for i, fn in enumerate(fns)]

    exported = export.export(jax.jit(all_spikes), platforms=PLATFORMS)(
        jax.ShapeDtypeStruct((b, 3), jnp.float32),
        jax.ShapeDtypeStruct((len(fns), 3), jnp.float32), jax.ShapeDtypeStruct((2,), jnp.uint32))
    assert exported.platforms == PLATFORMS
    restored = export.deserialize(exported.serialize(vjp_order=1))
    x = jnp.linspace(-2, 2, 15, dtype=jnp.float32).reshape(5, 3)
    alphas = jnp.asarray(np.stack([_alpha(fn) * np.array([1.0, 1.5, 2.0], np.float32)
                                   for fn in fns]))
    key = jax.random.PRNGKey(0)
    cts = [jnp.linspace(0.5, 1.5, 15, dtype=jnp.float32).reshape(5, 3)] * len(fns)
    # Two programs (the restored one with its VJP, and the direct one), not four.
    got_spikes, ct_x = jax.jit(lambda x, alphas, key, cts: (
        restored.call(x, alphas, key), restored.vjp().call(x, alphas, key, *cts)[0]))(
        x, alphas, key, cts)
    spikes, want = jax.jit(lambda x, alphas, key, cts: (
        all_spikes(x, alphas, key),
        jax.vjp(lambda v: all_spikes(v, alphas, key), x)[1](cts)[0]))(x, alphas, key, cts)
    for name, got, expected in zip(ALL, got_spikes, spikes):
        np.testing.assert_array_equal(got, expected, err_msg=name)
    np.testing.assert_allclose(ct_x, want, rtol=3e-7, atol=1e-30)  # to float32 rounding


def test_main_example_training_step_lowers_for_every_platform():
    pytest.importorskip("flax", reason="the example needs pip install -e '.[examples]'")
    import optax
    from flax import nnx

    digits, train_digits = import_from(ROOT / "examples", "_digits", "train_digits")
    cfg = digits.Config(digits.resolve_surrogate("super"), steps=4)
    model = train_digits.SNN(16, cfg, rngs=nnx.Rngs(0))
    optimizer = nnx.Optimizer(model, optax.adam(1e-3), wrt=nnx.Param)
    graph, state = nnx.split((model, optimizer))

    def step(state, images, labels, key_data):
        model, optimizer = nnx.merge(graph, state)

        def loss_fn(m):
            logits, _ = m(images, jax.random.wrap_key_data(key_data))
            return digits.loss_and_accuracy(logits, labels)

        (loss, _), grads = nnx.value_and_grad(loss_fn, has_aux=True)(model)
        optimizer.update(model, grads)
        return nnx.state((model, optimizer)), loss

    args = (state, jnp.zeros((8, 64), jnp.float32), jnp.zeros(8, jnp.int32),
            jax.random.key_data(jax.random.key(0)))
    exported = export.export(jax.jit(step), platforms=PLATFORMS)(*args)
    assert exported.platforms == PLATFORMS
    new_state, loss = exported.call(*args)
    want_state, want_loss = jax.jit(step)(*args)
    np.testing.assert_allclose(loss, want_loss, rtol=1e-6)
    for got, want in zip(jax.tree.leaves(new_state), jax.tree.leaves(want_state)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


# --------------------------------------------------------------------------
# Strict dtype promotion and rank promotion "raise"

ALPHA_KINDS = (
    lambda a: float(a),                                   # a Python number
    lambda a: np.float16(a),                              # a NumPy scalar
    lambda a: jnp.asarray(a, jnp.bfloat16),               # a JAX scalar
    lambda a: jnp.full((3,), a, jnp.float32),             # per neuron
    lambda a: np.full((3,), a, np.float64),               # per neuron, float64
)


def _every_mode(fn, x, alpha, key):
    """Spikes, grad, forward-mode tangent and (where declared) alpha's cotangent."""
    twin = js.forward_mode(fn)
    out = _call(fn, x, alpha, key)
    g = jax.grad(lambda v: _call(fn, v, alpha, key).astype(jnp.float32).sum())(x)
    _, t = jax.jvp(lambda v: _call(twin, v, alpha, key), (x,), (jnp.ones_like(x),))
    ga = None
    if fn.declaration.learnable:
        kw = {"key": key} if fn.declaration.stochastic else {}
        ga = jax.grad(lambda a: fn(x, a, learn_alpha=True, **kw).astype(jnp.float32).sum())(
            jnp.asarray(alpha, jnp.float32))
    return out, g, t, ga


@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
def test_strict_dtype_promotion(dtype):
    # Promotion errors are raised while tracing: eval_shape traces every
    # function (forward, custom_vjp backward, custom_jvp) without compiling.
    x = jnp.linspace(-1.5, 1.5, 12, dtype=dtype).reshape(4, 3)
    key = jax.random.key(1)
    with jax.numpy_dtype_promotion("strict"):
        for i, name in enumerate(MATHS):
            fn = js.get(name)
            alpha = ALPHA_KINDS[(i + FLOATS.index(dtype)) % len(ALPHA_KINDS)](_alpha(fn))
            out, g, t, ga = jax.eval_shape(lambda v: _every_mode(fn, v, alpha, key), x)
            assert out.dtype == g.dtype == t.dtype == dtype, name
            assert ga is None or ga.dtype == jnp.float32, name


def test_rank_promotion_raise_with_per_neuron_parameters():
    # Rank promotion is refused while tracing, as above; test_transforms
    # checks the values of per-neuron alphas.
    x = jnp.linspace(-1.5, 1.5, 12, dtype=jnp.float32).reshape(4, 3)
    key = jax.random.key(1)
    with jax.numpy_rank_promotion("raise"):
        for name in MATHS:
            fn = js.get(name)
            alphas = jnp.asarray(_alpha(fn) * np.array([1.0, 1.5, 2.0], np.float32))
            out, g, t, ga = jax.eval_shape(lambda v: _every_mode(fn, v, alphas, key), x)
            assert out.shape == g.shape == t.shape == x.shape, name
            assert ga is None or ga.shape == (3,), name
            # Per-neuron extra parameters too; not LocalZO's samples, a shape.
            extra = {k: jnp.full((3,), v, jnp.float32) for k, v in fn.declaration.params.items()
                     if v is not None and k != "samples"}
            jax.eval_shape(lambda v: grad_of(fn, v, **extra), x)


# --------------------------------------------------------------------------
# Dtypes that are not supported are refused at the call


@pytest.mark.parametrize("dtype", ["float8_e4m3fn", "float8_e5m2", "float8_e4m3b11fnuz",
                                   "float4_e2m1fn", "int8", "bool"])
def test_unsupported_dtypes_are_refused_like_integers(dtype):
    if not hasattr(jnp, dtype):
        pytest.skip(f"this jax has no {dtype}")
    x = jnp.zeros(3, getattr(jnp, dtype))
    for fn in (js.superspike, js.get("spikingjelly.atan"), js.derivative(js.gaussian)):
        with pytest.raises(TypeError, match=rf"x must have a floating dtype \(float16, "
                                             rf"bfloat16, float32 or float64\), got {dtype}"):
            fn(x)
    with pytest.raises(TypeError, match=rf"v must have a floating dtype .* got {dtype}"):
        js.fire(x)


# --------------------------------------------------------------------------
# Pickling


@pytest.mark.parametrize("name", ALL)
def test_every_function_pickles(name):
    fn = js.get(name)
    handed_out = [fn, js.forward_mode(fn), js.checked(fn), js.checked(js.forward_mode(fn)),
                  js.derivative(fn), js.primitive(fn)]
    for obj in handed_out:
        if obj is not None:
            assert pickle.loads(pickle.dumps(obj)) is obj, obj


USER_MODULE = '''
import jax.numpy as jnp
import jaxsurrogate as js


@js.surrogate
def user_bump(x, alpha=2.0):
    "A user's own bump."
    return alpha / 2 * jnp.exp(-alpha * jnp.abs(x)) * jnp.cos(x) ** 2


def plain_g(x, alpha=1.0):
    "Declared with the call form."
    return 1 / (1 + (alpha * x) ** 2)


called = js.surrogate(plain_g, name="called_bump")
snappy = js.preset(user_bump, "user.snappy", alpha=5.0)
'''


def test_a_users_surrogate_is_the_users_and_pickles(tmp_path, monkeypatch):
    (tmp_path / "user_shapes.py").write_text(USER_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    import user_shapes

    bump = user_shapes.user_bump
    assert bump.__module__ == "user_shapes" and bump.__qualname__ == "user_bump"
    assert "def user_bump(x, alpha=2.0):" in inspect.getsource(bump)
    objects = [bump, user_shapes.called, user_shapes.snappy, js.forward_mode(bump),
               js.checked(user_shapes.snappy), js.derivative(user_shapes.called)]
    for obj in objects:
        assert pickle.loads(pickle.dumps(obj)) is obj
    # In a fresh process (as multiprocessing does): each unpickles to a working function.
    blob = pickle.dumps(objects)
    script = textwrap.dedent("""
        import pickle, sys
        import jax.numpy as jnp
        fns = pickle.loads(sys.stdin.buffer.read())
        x = jnp.array([-1.0, 0.0, 1.0])
        print([float(f(x).sum()) for f in fns])
    """)
    env_path = f"{tmp_path}:{ROOT}"
    out = subprocess.run([sys.executable, "-c", script], input=blob, capture_output=True,
                         env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"}, timeout=120)
    assert out.returncode == 0, out.stderr.decode()[-2000:]
    x = jnp.array([-1.0, 0.0, 1.0])
    assert out.stdout.decode().strip() == str([float(f(x).sum()) for f in objects])


# --------------------------------------------------------------------------
# One argument path for every entry point


def test_every_entry_point_checks_its_arguments_the_same_way():
    x = jnp.linspace(-1, 1, 8, dtype=jnp.float32)
    entry_points = [js.superspike, js.derivative(js.superspike), js.primitive(js.superspike),
                    js.forward_mode(js.superspike), js.checked(js.superspike)]
    for f in entry_points:
        with pytest.raises(ValueError, match="superspike: alpha must be finite and > 0, got -0.5"):
            f(x, -0.5)
        with pytest.raises(ValueError, match=r"superspike: alpha of shape \(3,\) is not "
                                             r"broadcastable to x of shape \(8,\)"):
            f(x, jnp.ones(3))
        with pytest.raises(TypeError, match="superspike: alpha must be a real number"):
            f(x, "abc")
        with pytest.raises(TypeError, match=r"unknown parameter\(s\) \['beta'\]; its only "
                                            r"parameter is alpha"):
            f(x, beta=2.0)
    with pytest.raises(ValueError, match="gaussian: sigma must be finite and > 0, got -1"):
        js.derivative(js.gaussian)(x, sigma=-1.0)
    with pytest.raises(TypeError, match="threshold: alpha must be a real number"):
        js.threshold(x, "heaviside", "abc")
    with pytest.raises(ValueError, match="preset mylab.a: at_zero must be 0, 0.5 or 1, got 0.3"):
        js.preset(js.atan, "mylab.a", at_zero=0.3)
    with pytest.raises(ValueError, match="preset mylab.a: alpha must be finite and > 0"):
        js.preset(js.atan, "mylab.a", alpha=-2.0)
    with pytest.raises(TypeError, match="preset mylab.a: heaviside takes no alpha"):
        js.preset(js.heaviside, "mylab.a", alpha=2.0)
    for bad in (None, jnp.array(True), "yes", 1):
        with pytest.raises(TypeError, match="learn_alpha must be True or False"):
            js.superspike(x, learn_alpha=bad)
    with pytest.raises(TypeError, match=r"unknown parameter\(s\) \['SIGMA'\]; did you mean "
                                        r"sigma\?"):
        js.gaussian(x, SIGMA=1.0)


def test_decorator_checks_the_declaration_at_decoration_time():
    with pytest.raises(ValueError, match="a lambda has no name"):
        js.surrogate(lambda x: jnp.ones_like(x))
    with pytest.raises(TypeError, match="second parameter must be alpha with a default"):
        js.surrogate(lambda x, alpha: x, name="no_default")
    with pytest.raises(TypeError, match=r"keyword parameter\(s\) \['w'\] need a default"):
        js.surrogate(lambda x, *, w: x, name="kw_without_default")
    with pytest.raises(TypeError, match="primitive must take the arguments of the derivative"):
        js.surrogate(lambda x, alpha=1.0, *, w=1.0: x, name="bad_primitive",
                     primitive=lambda x, alpha: x)
    with pytest.raises(ValueError, match="the default of alpha|alpha must be finite and > 0"):
        js.surrogate(lambda x, alpha=-1.0: x, name="negative_default")
    with pytest.raises(ValueError, match="domains names 'beta', which g does not take"):
        js.surrogate(lambda x, alpha=1.0: x, name="stray_domain", domains={"beta": "real"})


# --------------------------------------------------------------------------
# A valid alpha never gives NaN where the maths is finite


@pytest.mark.parametrize("name,alpha", [
    ("q_pseudo_spike", 1 + 1e-9),   # 1.0 in float32: alpha - 1 = 0
    ("heavi_circ", 1e-50),          # 0 in float32
    ("superspike", 1e-40),          # subnormal in float32: flushed to 0 on CPU
    ("superspike", 1e39),           # inf in float32
    ("superspike", 10 ** 40),       # an integer too large for float32
    ("superspike", 10 ** 400),      # too large for any float
])
def test_alpha_is_checked_in_the_dtype_the_maths_runs_in(name, alpha):
    fn = js.get(name)
    with pytest.raises(ValueError, match=f"{name}: alpha must be"):
        fn(jnp.zeros(3, jnp.float32), alpha)
    with pytest.raises(ValueError, match=f"{name}: alpha must be"):
        fn(jnp.zeros(3, jnp.float16), np.full(3, float(alpha) if alpha < 1e300 else np.inf))
    if abs(alpha) < 1e300 and alpha > 1e-300 and name != "q_pseudo_spike":
        # The same alpha is fine where the maths runs in float64.
        assert bool(jnp.all(jnp.isfinite(grad_of(fn, jnp.zeros(3, jnp.float64), alpha))))


_FINITE = {np.float32: np.linspace(-3, 3, 13).tolist() + [1e-30, -1e30, 3e38, -3e38],
           np.float64: np.linspace(-3, 3, 13).tolist() + [1e-300, -1e300, 1.7e308]}


def _log_uniform(dtype):
    info = np.finfo(dtype)
    return st.floats(np.log10(float(info.tiny)), np.log10(float(info.max)) - 1e-9).map(
        lambda e: float(10.0 ** e))


_FLOAT_RANGE = settings(max_examples=12, deadline=None,
                        suppress_health_check=[HealthCheck.too_slow,
                                               HealthCheck.function_scoped_fixture])


def _with_alpha_of_every_name(x, alphas):
    """Spikes and g of every name with an alpha, in one compiled program (per dtype)."""
    return [(spike_call(js.get(n), x, a), grad_of(js.get(n), x, a))
            for n, a in zip(WITH_ALPHA, alphas)]


_WITH_ALPHA_OF_EVERY_NAME = jax.jit(_with_alpha_of_every_name)


# Every name sees the same drawn exponents (twelve draws, as twelve per name did).
@_FLOAT_RANGE
@given(exponent32=_log_uniform(np.float32), exponent64=_log_uniform(np.float64))
def test_alphas_across_the_whole_float_range_give_no_nan(exponent32, exponent64):
    fns = [js.get(name) for name in WITH_ALPHA]
    for dtype, drawn in ((np.float32, exponent32), (np.float64, exponent64)):
        x = jnp.asarray(np.asarray(_FINITE[dtype], dtype))
        alphas, refused = [], set()
        for name, fn in zip(WITH_ALPHA, fns):
            alpha = drawn
            if fn.declaration.domain("alpha") == "above_one":
                alpha = 1 + alpha if alpha < 1 else alpha
            a = np.asarray(alpha, dtype)  # an operand: one compilation for every alpha
            alphas.append(a)
            try:  # checked where the value is known (a constant here; traced, not compiled)
                jax.eval_shape(lambda x, a=a, fn=fn: fn(x, a, **key_kwargs(fn)), x[:1])
            except ValueError as err:  # refused in the dtype the maths runs in, with a reason
                assert f"{name}: {fn.declaration.alpha_name} must be" in str(err)
                refused.add(name)
        results = _WITH_ALPHA_OF_EVERY_NAME(x, alphas)
        for name, fn, a, (out, g) in zip(WITH_ALPHA, fns, alphas, results):
            if name in refused:
                continue
            out = np.asarray(out)
            if fn.declaration.base.name == "multispike":  # counts up to alpha
                assert ((out == np.round(out)) & (out >= 0) & (out <= a)).all(), (name, a, out)
            elif spike_values(fn) is None:  # a noisy forward: analog values too
                assert ((out >= 0) & (out <= 1)).all(), (name, a, out)
            else:
                assert np.isin(out, [0.0, 0.5, 1.0]).all(), (name, a, out)
            assert np.isfinite(np.asarray(g)).all(), (name, dtype, a,
                                                     np.asarray(x)[~np.isfinite(g)])


# --------------------------------------------------------------------------
# Forward mode with learn_alpha and an integer alpha; predictable compilation


def test_forward_mode_learn_alpha_with_a_traced_integer_alpha():
    twin = js.forward_mode(js.superspike)
    x = jnp.array([0.0, 0.5, -1.0], jnp.float32)
    out = jax.vmap(lambda a: twin(x, a, learn_alpha=True))(jnp.array([2, 3]))
    np.testing.assert_array_equal(out, [[0.0, 1.0, 0.0]] * 2)
    grads = jax.vmap(lambda a: jax.grad(lambda v: twin(v, a, learn_alpha=True).sum())(x))(
        jnp.array([2, 3]))
    np.testing.assert_allclose(grads[1], 1 / (3 * np.abs(np.asarray(x)) + 1) ** 2, rtol=1e-6)
    _, tangent = jax.jvp(lambda a: twin(x, a, learn_alpha=True), (jnp.float32(2.0),),
                         (jnp.float32(1.0),))
    # d/dalpha of S = x / (alpha |x| + 1) is -x |x| / (alpha |x| + 1)^2
    xs = np.asarray(x)
    np.testing.assert_allclose(tangent, -xs * np.abs(xs) / (2 * np.abs(xs) + 1) ** 2,
                               rtol=1e-6)


def test_compilation_rule_python_numbers_compiled_in_everything_else_an_operand():
    fn = js.get("braintools.erf")
    kernel = mechanism.spike_kernel(fn.declaration, "reverse", False)
    x = jnp.linspace(-1, 1, 7, dtype=jnp.float32)

    def compiles(values):
        before = kernel._cache_size()
        for value in values:
            fn(x, value)
        return kernel._cache_size() - before

    assert compiles([1.25, 1.5, 1.75]) == 3      # each Python number once
    assert compiles([1.25, 1.5, 1.75]) == 0      # and never again
    kinds = (np.float64, np.float32, np.float16, jnp.float32, lambda a: np.full(7, a))
    for make in kinds:  # anything with a dtype: an operand, one compilation per kind
        assert compiles([make(a) for a in (2.25, 2.5)]) <= 1
        assert compiles([make(a) for a in (4.25, 4.5, 4.75)]) == 0  # new values: none


# --------------------------------------------------------------------------
# Smaller rules


@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
def test_subnormals_take_the_branch_their_spike_takes(dtype):
    # XLA on CPU flushes subnormals to zero in the compute dtype; half
    # precision's own subnormals are normal float32 numbers there.
    sub = float(jnp.finfo(dtype).smallest_subnormal)
    x = jnp.asarray([sub, -sub], dtype)
    if dtype == jnp.float16:
        normal = x.astype(jnp.float32)
    else:
        tiny = float(jnp.finfo(dtype).tiny)
        normal = jnp.asarray([tiny, -tiny], dtype)
    # One compiled program for every name (the flush happens in compiled code).
    at_sub, at_normal, spikes = jax.jit(lambda x, normal: (
        [derivative_of(js.get(n), x) for n in MATHS],
        [derivative_of(js.get(n), normal).astype(dtype) for n in MATHS],
        [js.get(n)(x) for n in MATHS if is_step(js.get(n))]))(x, normal)
    for name, g_sub, g_normal in zip(MATHS, at_sub, at_normal):
        np.testing.assert_array_equal(np.asarray(g_sub, np.float64),
                                      np.asarray(g_normal, np.float64), err_msg=name)
    for out in spikes:
        np.testing.assert_array_equal(out, [1.0, 0.0])
    # The example of the issue: a log-tailed ReLU spikes at +sub and takes the x > 0 slope.
    assert float(grad_of(js.log_tailed_relu, jnp.asarray([sub], dtype))[0]) == 1.0


@pytest.mark.parametrize("name", ["squarewave_fourier_series",
                                  "spikingjelly.squarewave_fourier_series"])
def test_square_wave_terms_are_whole_numbers(name):
    fn = js.get(name)
    x = jnp.zeros(3, jnp.float32)
    for bad in (0.0, 2.5, -1.0):
        with pytest.raises(ValueError, match=f"n must be a whole number >= 1, got {bad}"):
            fn(x, n=bad)
    assert fn(x, n=3).dtype == jnp.float32  # an integer is a whole number


def test_grad_of_the_primitive_at_zero_is_g_at_zero():
    names = [n for n in ALL if js.primitive(js.get(n)) is not None]
    # One compiled program for all of them, the derivatives g(0) with them.
    slopes, g_at_zero = jax.jit(lambda z: (
        [jax.grad(js.primitive(js.get(n)))(z) for n in names],
        [js.derivative(js.get(n))(z[None]) for n in names]))(jnp.zeros((), jnp.float64))
    for name, slope, g in zip(names, slopes, g_at_zero):
        np.testing.assert_allclose(slope, g, rtol=1e-12, err_msg=name)


def test_signatures_and_docstrings_of_what_the_library_hands_out():
    def parameters(fn):
        return str(inspect.signature(fn)).split(" -> ")[0]

    assert parameters(js.derivative(js.superspike)) == "(x, alpha=100.0)"
    assert parameters(js.primitive(js.gaussian)) == "(x, alpha=0.5, *, sigma=0.5)"
    assert parameters(js.logistic) == "(x, alpha=1.0, *, key, learn_alpha=False)"
    for name in ALL:
        fn = js.get(name)
        for twin in (js.forward_mode(fn), js.checked(fn)):
            assert twin.__doc__ == fn.__doc__ and twin.__name__ == fn.__name__
        for derived in (js.derivative(fn), js.primitive(fn)):
            if derived is not None:
                assert "object at" not in str(inspect.signature(derived))
