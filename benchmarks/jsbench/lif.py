"""The real step: ``jit(grad(loss))`` of dense -> LIF over ``lax.scan``, the
step's matrix products alone, and the step's compiled memory.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

import jaxsurrogate as js

from .machine import current_allocator, faults_per_call
from .norse_lif import LIF_PARAMS, lif_data
from .timing import format_ms, time_group
from .twins import handwritten

# Suffix of the variants that leave the dense layer out; they are compared
# with jaxsurrogate's LIF only.
LIF_ONLY = " (LIF only)"
MATMULS = "matrix products only"


def ref_label(k):
    """The jaxsurrogate variant that variant ``k`` is compared with."""
    return "jaxsurrogate" + (LIF_ONLY if k.endswith(LIF_ONLY) else "")


def jaxsurrogate_spike(v):
    return js.superspike(v, LIF_PARAMS["alpha"])


def make_jax_lif(spike, T, B, nin, nout, checkpoint=False, dense=True):
    """(jit(grad(loss)), args): dense -> LIF (Norse's maths) over lax.scan.

    With ``dense=False`` only the LIF recurrence: the input current is given
    and the gradient is taken with respect to it.
    """
    p = LIF_PARAMS
    a_mem = p["dt"] * p["tau_mem_inv"]
    a_syn = p["dt"] * p["tau_syn_inv"]

    def step(carry, cur):
        v, i = carry
        i_new = i + cur
        v_dec = v + a_mem * ((p["v_leak"] - v) + i_new)
        i_dec = i_new - a_syn * i_new
        z = spike(v_dec - p["v_th"])
        v_new = (1 - z) * v_dec + z * p["v_reset"]
        return (v_new, i_dec), z

    body = jax.checkpoint(step) if checkpoint else step

    def lif_loss(cur):
        zeros = jnp.zeros(cur.shape[1:], cur.dtype)
        _, z = lax.scan(body, (zeros, zeros), cur)
        return jnp.mean((z.mean(0) - 0.05) ** 2)

    def loss(w, x):
        return lif_loss(jnp.einsum("tbi,io->tbo", x, w))

    x, w = lif_data(T, B, nin, nout)
    if not dense:
        return jax.jit(jax.grad(lif_loss)), (jnp.asarray(x @ w),)
    return jax.jit(jax.grad(loss)), (jnp.asarray(w), jnp.asarray(x))


def make_jax_matmuls(T, B, nin, nout):
    """(jit(value_and_grad), args): only the step's two matrix products.

    The dense layer's forward ``x @ w`` and its weight gradient ``x^T @ g``,
    with ``g`` given: what every library pays in the step whatever its LIF
    costs, so ``other time / this`` bounds the ratio ours could reach.
    """
    def loss(w, x, g):
        return jnp.sum(jnp.einsum("tbi,io->tbo", x, w) * g)

    x, w = lif_data(T, B, nin, nout)
    g = jnp.full((T, B, nout), 1e-3, jnp.float32)
    return jax.jit(jax.value_and_grad(loss)), (jnp.asarray(w), jnp.asarray(x), g)


def measure_lif(fns, repeats, min_time, block=jax.block_until_ready, pause=0.0):
    """Times of one process's LIF variants, their ratios to jaxsurrogate's
    step next to them, page faults per call and the process's allocator."""
    t = time_group(fns, repeats, min_time, block=block, pause=pause)
    return {"times_s": dict(t),
            "ratios_vs_jaxsurrogate": {k: t.ratio(k, ref_label(k)) for k in t},
            "faults_per_call": faults_per_call(fns, block),
            "allocator": current_allocator()}


def fmt_bytes(b):
    if b is None:
        return "n/a"
    return f"{b / 2 ** 20:.1f} MiB"


def memory_row(name, ckpt, compiled):
    m = compiled.memory_analysis()

    def get(attr):
        v = getattr(m, attr, None) if m is not None else None
        return None if v is None else int(v)

    return {"impl": name, "checkpoint": ckpt,
            "temp_bytes": get("temp_size_in_bytes"),
            "argument_bytes": get("argument_size_in_bytes"),
            "output_bytes": get("output_size_in_bytes")}


def run_lif_local(T, B, nin, nout, repeats, min_time, log, timing=True):
    """Times jaxsurrogate vs hand-written, each with and without checkpoint.

    Each step is compiled once (``lower().compile()``); the same executable
    is timed and gives the memory analysis.
    """
    spikes = {"jaxsurrogate": jaxsurrogate_spike,
              "handwritten": handwritten("superspike", LIF_PARAMS["alpha"])}
    fns, memory = {}, []
    for name, spike in spikes.items():
        for ckpt in (False, True):
            f, args = make_jax_lif(spike, T, B, nin, nout, checkpoint=ckpt)
            compiled = f.lower(*args).compile()
            memory.append(memory_row(name, ckpt, compiled))
            label = name + ("+checkpoint" if ckpt else "")
            fns[label] = lambda c=compiled, args=args: c(*args)
        f, args = make_jax_lif(spike, T, B, nin, nout, dense=False)
        fns[name + LIF_ONLY] = lambda f=f, args=args: f(*args)
    f, args = make_jax_matmuls(T, B, nin, nout)
    fns[MATMULS] = lambda: f(*args)
    for r in memory:
        log(f"  memory {r['impl']} checkpoint={r['checkpoint']}: temp "
            f"{fmt_bytes(r['temp_bytes'])}")
    if not timing:
        return None, memory
    t = measure_lif(fns, repeats, min_time)
    log("  LIF (this process): " + format_ms(t["times_s"]))
    return t, memory
