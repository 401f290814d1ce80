"""Element-wise cases: each shape's jitted modes against the memory floor
``x * w`` and against its custom_vjp twin, at one size and dtype at a time.
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np

import jaxsurrogate as js

from .timing import time_group
from .twins import HANDWRITTEN_SHAPES, twin

MODES = ("forward", "grad", "value_and_grad")
TWIN = "hw:"  # prefix of a twin's variants in a timed group
STOCHASTIC = "stochastic: includes drawing uniforms"  # the shapes' note


def shape_callable(name: str):
    """x -> spikes for a canonical jaxsurrogate shape (a fixed key if drawn)."""
    f = js.get(name)
    if f.declaration.stochastic:
        key = jax.random.key(0)
        return lambda x: f(x, key=key)
    return f


def timed_modes(label, f, x, w) -> dict:
    """f's jitted forward, ``grad`` and ``value_and_grad`` of ``sum(w * f(x))``,
    as callables keyed ``(label, mode)``."""
    def loss(x, w):
        return jnp.sum(w * f(x))

    forward = jax.jit(f)
    grad = jax.jit(jax.grad(loss))
    value_and_grad = jax.jit(jax.value_and_grad(loss))
    return {(label, "forward"): lambda: forward(x),
            (label, "grad"): lambda: grad(x, w),
            (label, "value_and_grad"): lambda: value_and_grad(x, w)}


def shape_variants(name, x, w, declared_twins):
    """(variants, twin kind): the shape's timed modes, then its twin's.

    The twin is the hand-written formula; for the other shapes, only with
    ``declared_twins``, the plain custom_vjp of the declared derivative.
    Kind None: no twin.
    """
    variants = timed_modes(name, shape_callable(name), x, w)
    if not (declared_twins or name in HANDWRITTEN_SHAPES):
        return variants, None
    found = twin(name)
    if found is None:
        return variants, None
    kind, spike = found
    variants.update(timed_modes(TWIN + name, spike, x, w))
    return variants, kind


def random_inputs(lg: int, dtype):
    """x and w, 2^lg standard normal draws each, seeded by the size."""
    rng = np.random.default_rng(lg)
    n = 2 ** lg
    x = jnp.asarray(rng.normal(0, 1, n).astype(np.float32)).astype(dtype)
    w = jnp.asarray(rng.normal(0, 1, n).astype(np.float32)).astype(dtype)
    return x, w


def floor_step():
    """The memory floor: fused read two, write one."""
    return jax.jit(lambda x, w: x * w)


def run_elementwise(log2_sizes, dtypes, shapes, repeats, min_time, log):
    """Element-wise, bandwidth and overhead rows, and notes on shapes."""
    floor = floor_step()
    copy = jax.jit(lambda x: -x)  # read one, write one (a copy that XLA keeps)
    reduce = jax.jit(lambda x, w: jnp.sum(x * w))  # read two, write a scalar
    ew, ov, bw = [], [], []
    notes = {s: STOCHASTIC for s in shapes if js.get(s).declaration.stochastic}
    for dtype_name in dtypes:
        dtype = jnp.dtype(dtype_name)
        for lg in log2_sizes:
            n = 2 ** lg
            x, w = random_inputs(lg, dtype)
            fns = {"floor": lambda x=x, w=w: floor(x, w),
                   "copy": lambda x=x: copy(x),
                   "reduce": lambda x=x, w=w: reduce(x, w)}
            for name in shapes:
                fns.update(shape_variants(name, x, w, declared_twins=False)[0])
            t0 = time.perf_counter()
            t = time_group(fns, repeats, min_time)
            itemsize = dtype.itemsize
            bw.append({"dtype": dtype_name, "log2n": lg, "n": n,
                       "floor_s": t["floor"], "copy_s": t["copy"],
                       "reduce_s": t["reduce"],
                       "floor_GBps": 3 * n * itemsize / t["floor"] / 1e9,
                       "copy_GBps": 2 * n * itemsize / t["copy"] / 1e9})
            for name in shapes:
                row = {"shape": name, "dtype": dtype_name, "log2n": lg, "n": n,
                       "floor_s": t["floor"]}
                for mode in MODES:
                    row[mode + "_s"] = t[(name, mode)]
                    row[mode + "_ratio"] = t.ratio("floor", (name, mode))
                ew.append(row)
                if name in HANDWRITTEN_SHAPES:
                    for mode in MODES:
                        ov.append({"shape": name, "dtype": dtype_name,
                                   "log2n": lg, "n": n, "mode": mode,
                                   "jaxsurrogate_s": t[(name, mode)],
                                   "handwritten_s": t[(TWIN + name, mode)],
                                   "ratio": t.ratio((TWIN + name, mode),
                                                    (name, mode))})
            log(f"  element-wise {dtype_name} 2^{lg}: floor "
                f"{t['floor'] * 1e6:9.1f} us ({bw[-1]['floor_GBps']:.1f} GB/s), "
                f"{len(fns)} variants in {time.perf_counter() - t0:.1f} s")
    return ew, ov, bw, notes


def run_focus(lg, dtype_name, shapes, repeats, min_time, log):
    """The target check: grad (all shapes) and every mode of the twins at
    one size, with many short interleaved repeats.

    On a shared machine a few repeats of long samples are at the mercy of
    the neighbours; many short ones paired by repeat are not.
    """
    x, w = random_inputs(lg, jnp.dtype(dtype_name))
    floor = floor_step()
    fns = {"floor": lambda: floor(x, w)}
    twin_kind = {}
    for name in shapes:
        variants, kind = shape_variants(name, x, w, declared_twins=True)
        fns.update(variants)
        if kind is not None:
            twin_kind[name] = kind
    t0 = time.perf_counter()
    t = time_group(fns, repeats, min_time)
    out = {"log2n": lg, "dtype": dtype_name, "repeats": repeats,
           "min_time_s": min_time, "floor_s": t["floor"],
           "grad_ratio": {s: t.ratio("floor", (s, "grad")) for s in shapes},
           "overhead": [{"shape": s, "mode": m, "twin": twin_kind[s],
                         "ratio": t.ratio((TWIN + s, m), (s, m))}
                        for s in shapes if s in twin_kind for m in MODES]}
    log(f"  focus {dtype_name} 2^{lg}: {len(fns)} variants x {repeats} "
        f"repeats in {time.perf_counter() - t0:.1f} s")
    return out
