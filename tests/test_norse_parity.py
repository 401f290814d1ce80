"""Parity with Norse itself: same spikes, same gradients, on the same grid.

Needs ``torch==2.13.0`` and ``norse==1.1.0`` (``.ci/run`` installs them); skips
with a visible reason where they are absent.
"""

from __future__ import annotations

import platform
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import codeblocks
import jaxsurrogate as js
from tests.helpers import grad_of, grid

torch = pytest.importorskip("torch", reason="Norse parity needs torch==2.13.0")
norse_threshold = pytest.importorskip(
    "norse.torch.functional.threshold",
    reason="Norse parity needs `pip install --no-deps norse==1.1.0 nir nirtorch`")

ALPHAS = (0.3, 1.0, 2.5, 100.0)
DTYPES = {"float32": (jnp.float32, torch.float32), "float64": (jnp.float64, torch.float64)}

# (our function, Norse's function): Norse's signature is fn(x, alpha).
FUNCTIONS = {
    "superspike": (js.superspike, norse_threshold.superspike_fn),
    "triangle": (js.triangle, norse_threshold.triangle_fn),
    "heavi_tanh": (js.heavi_tanh, norse_threshold.heavi_tanh_fn),
    "heavi_erfc": (js.heavi_erfc, norse_threshold.heavi_erfc_fn),
    "heavi_circ": (js.heavi_circ, norse_threshold.heavi_circ_fn),
}
STOCHASTIC = {
    "logistic": (js.logistic, norse_threshold.logistic_fn),
    "circ_dist": (js.circ_dist, norse_threshold.circ_dist_fn),
}
METHODS = ("heaviside", "super", "triangle", "tanh", "circ", "heavi_erfc")


def norse_forward_and_grad(fn, x: np.ndarray, tdtype):
    t = torch.tensor(x.astype(np.float64), dtype=tdtype, requires_grad=True)
    out = fn(t)
    if out.requires_grad:
        out.sum().backward()
        grad = t.grad.numpy()
    else:  # Norse's heaviside has no gradient at all: it is zero.
        grad = np.zeros_like(x, dtype=np.float64)
    return out.detach().numpy(), grad


def tolerance(name, dtype_name):
    """Where bit equality is possible, ask for it; else a few ulp."""
    eps = float(np.finfo(dtype_name).eps)
    if name in ("superspike", "triangle", "heaviside"):
        return dict(rtol=0, atol=0)  # the same arithmetic, in the same order
    if name == "heavi_erfc" and dtype_name == "float64":
        return dict(rtol=1e-7, atol=0)  # Norse's float32 sqrt(pi): 3e-8 relative
    # tanh, erfc, circ: transcendental functions from two libraries, and Norse's
    # 1 - tanh^2 and two-term circ forms round to about eps of 1, absolute.
    return dict(rtol=8 * eps, atol=4 * eps)


def finite_grid(dtype):
    x = grid(dtype)
    return x[~np.isnan(x.astype(np.float64))]


def compare(ours_fn, norse_fn, name, dtype_name, alpha):
    jdtype, tdtype = DTYPES[dtype_name]
    x = finite_grid(jdtype)
    n_out, n_grad = norse_forward_and_grad(lambda t: norse_fn(t, alpha), x, tdtype)
    o_out = np.asarray(ours_fn(jnp.asarray(x), alpha))
    o_grad = np.asarray(grad_of(ours_fn, jnp.asarray(x), alpha))
    assert o_out.dtype == n_out.dtype
    np.testing.assert_array_equal(o_out, n_out)
    finite = np.isfinite(n_grad)
    # XLA on CPU treats subnormals as 0 in arithmetic, torch does not: the
    # gradient there is compared with g(0), which equals it to within eps.
    sub = np.abs(x.astype(np.float64)) < np.finfo(dtype_name).tiny
    tol = tolerance(name, dtype_name)
    np.testing.assert_allclose(o_grad[finite & ~sub], n_grad[finite & ~sub], **tol)
    np.testing.assert_allclose(o_grad[sub], n_grad[sub],
                               rtol=max(tol["rtol"], 4 * float(np.finfo(dtype_name).eps)))
    return x, o_grad, n_grad


@pytest.mark.parametrize("dtype_name", sorted(DTYPES))
@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("name", sorted(set(FUNCTIONS) - {"superspike"}))
def test_functions_match_norse(name, alpha, dtype_name):
    ours, theirs = FUNCTIONS[name]
    x, o_grad, n_grad = compare(ours, theirs, name, dtype_name, alpha)
    nonfinite = ~np.isfinite(n_grad)
    if name == "heavi_circ":
        # Norse's two-term form overflows to NaN for huge |x| (and inf); the
        # limit there is 0, which is what we give.
        assert np.all(o_grad[nonfinite] == 0)
    else:
        assert not nonfinite.any()


@pytest.mark.parametrize("dtype_name", sorted(DTYPES))
def test_superspike_matches_norse_with_alpha_one(dtype_name):
    # norse==1.1.0 ignores alpha (computes alpha = 1); our alpha=1 is it exactly.
    ours, theirs = FUNCTIONS["superspike"]
    for norse_alpha in ALPHAS:
        compare(lambda x, a: ours(x, 1.0), theirs, "superspike", dtype_name, norse_alpha)


def test_norse_1_1_0_ignores_superspike_alpha():
    x = np.array([0.01, 0.5], np.float64)
    _, g100 = norse_forward_and_grad(lambda t: norse_threshold.superspike_fn(t, 100.0),
                                     x, torch.float64)
    np.testing.assert_allclose(g100, 1 / (np.abs(x) + 1) ** 2, rtol=1e-15)
    ours = np.asarray(grad_of(js.superspike, jnp.asarray(x), 100.0))
    np.testing.assert_allclose(ours, 1 / (100 * np.abs(x) + 1) ** 2, rtol=1e-15)
    assert not np.allclose(ours, g100)


@pytest.mark.parametrize("dtype_name", sorted(DTYPES))
@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("method", METHODS)
def test_threshold_and_sign_match_norse(method, alpha, dtype_name):
    name = {"super": "superspike", "tanh": "heavi_tanh", "circ": "heavi_circ"}.get(method, method)
    norse_alpha = alpha
    ours_alpha = 1.0 if method == "super" else alpha  # Norse 1.1.0 ignores it
    for ours, theirs in [(js.threshold, norse_threshold.threshold), (js.sign, norse_threshold.sign)]:
        compare(lambda x, a: ours(x, method, ours_alpha),
                lambda t, a: theirs(t, method, norse_alpha), name, dtype_name, alpha)


@pytest.mark.parametrize("dtype_name", sorted(DTYPES))
@pytest.mark.parametrize("name", sorted(STOCHASTIC))
def test_stochastic_gradients_match_norse(name, dtype_name):
    ours, theirs = STOCHASTIC[name]
    jdtype, tdtype = DTYPES[dtype_name]
    x = finite_grid(jdtype)
    x = x[np.isfinite(x.astype(np.float64))]  # Norse's Bernoulli refuses p = NaN
    for alpha in ALPHAS:
        _, n_grad = norse_forward_and_grad(lambda t: theirs(t, alpha), x, tdtype)
        o_grad = np.asarray(grad_of(ours, jnp.asarray(x), alpha, key=jax.random.key(0)))
        finite = np.isfinite(n_grad)
        sub = np.abs(x.astype(np.float64)) < np.finfo(dtype_name).tiny
        np.testing.assert_allclose(o_grad[finite & ~sub], n_grad[finite & ~sub],
                                   **tolerance(name, dtype_name))
        assert np.all(o_grad[~finite] == 0)


@pytest.mark.parametrize("name", sorted(STOCHASTIC))
def test_stochastic_spike_rates_match_norse(name):
    ours, theirs = STOCHASTIC[name]
    torch.manual_seed(0)
    n = 200_000
    for xv, alpha in [(0.0, 1.0), (0.4, 1.0), (-0.7, 2.0), (1e6, 1.0), (-1e6, 1.0)]:
        t = torch.full((n,), xv, dtype=torch.float64)
        norse_rate = float(theirs(t, alpha).mean())
        our_rate = float(ours(jnp.full((n,), xv, jnp.float64), alpha,
                              key=jax.random.key(1)).mean())
        # Two independent estimates of one probability: 6 joint standard errors.
        p = max(min((norse_rate + our_rate) / 2, 1.0), 0.0)
        assert abs(norse_rate - our_rate) <= 6 * np.sqrt(2 * p * (1 - p) / n) + 1e-12


def _host_has_fma() -> bool | None:
    """Whether this CPU has fused multiply-add (None where that is not known)."""
    if platform.machine().lower() in ("aarch64", "arm64"):
        return True
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    return " fma " in flags.replace("\n", " ")


def test_this_file_compiles_as_users_do() -> None:
    """tests/conftest.py compiles most of the suite without LLVM's
    optimisations; a file that holds our bits to Norse's compiles as users do."""
    unoptimised = codeblocks.readers_compile_unoptimised()  # what users would have
    assert jax.config.read("jax_disable_most_optimizations") is unoptimised
    # What that changes: optimised code fuses a * b + c into one FMA where the
    # CPU has it, so the result is a * b + c rounded once.
    a, b, c = (np.float32(v) for v in (1 + 2.0 ** -13, 1 - 2.0 ** -13, -1.0))
    once = np.float32(np.float64(a) * np.float64(b) + np.float64(c))
    twice = np.float32(a * b) + c
    assert once != twice
    got = jax.jit(lambda a, b, c: a * b + c)(a, b, c)
    if _host_has_fma() and not unoptimised:
        assert got == once
    else:
        assert got == twice or _host_has_fma() is None
