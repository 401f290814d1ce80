"""Twins of jaxsurrogate's spike functions: plain ``jax.custom_vjp`` code.

The overhead section times each of our functions against its twin (ratio =
twin time / ours), so that only what the library adds is measured: input
checks, dtype policy, residuals, the bit-pattern step.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

import jaxsurrogate as js

# The derivative g(x, alpha) of Norse's six deterministic shapes as a user
# would write it by hand: the same maths as jaxsurrogate.
HANDWRITTEN_DERIVATIVES = {
    "superspike": lambda x, a: 1 / (a * jnp.abs(x) + 1) ** 2,
    "triangle": lambda x, a: a * jnp.maximum(0, 1 - jnp.abs(x)),
    # jaxsurrogate's sech^2 form, which has no cancellation
    "heavi_tanh": lambda x, a: 1 / jnp.cosh(a * x) ** 2,
    "heavi_erfc": lambda x, a: (2 / math.sqrt(math.pi)) * jnp.exp(-((a * x) ** 2)),
    "heavi_circ": lambda x, a: (a / jnp.hypot(a, x)) ** 3,
    "heaviside": lambda x, a: jnp.where(jnp.isnan(x), x, jnp.zeros_like(x)),
}
HANDWRITTEN_SHAPES = tuple(HANDWRITTEN_DERIVATIVES)

FORMULA = "hand-written formula"
DECLARED = "plain custom_vjp of the declared derivative"


def custom_vjp_spike(step, derivative):
    """A custom_vjp: ``step(x)`` forward, ``ct * derivative(x, dt)`` backward.

    ``dt`` is float32 or wider: half precision is differentiated in float32,
    like jaxsurrogate does, and the cotangent cast back to x's dtype.
    """
    @jax.custom_vjp
    def spike(x):
        return step(x)

    def fwd(x):
        return spike(x), x

    def bwd(x, ct):
        dt = jnp.promote_types(x.dtype, jnp.float32)
        return ((ct.astype(dt) * derivative(x, dt)).astype(x.dtype),)

    spike.defvjp(fwd, bwd)
    return spike


def handwritten(name: str, alpha: float | None):
    """A hand-written custom_vjp spike function with jaxsurrogate's maths."""
    g = HANDWRITTEN_DERIVATIVES[name]

    def derivative(x, dt):
        return g(x.astype(dt), None if alpha is None else jnp.asarray(alpha, dt))

    return custom_vjp_spike(lambda x: (x > 0).astype(x.dtype), derivative)


def plain_twin(name: str):
    """A plain custom_vjp around the shape's declared derivative, or None.

    Not hand-written maths: the same ``g`` the library calls, so the only
    difference left is the mechanism. None for stochastic shapes.
    """
    d = js.get(name).declaration
    if d.stochastic:
        return None
    params = dict(d.params)

    def call(fn, x, dt):
        xc = x.astype(dt)
        # None is a parameter's own default (multispike's grad_high: its D).
        pc = {k: v if v is None else jnp.asarray(v, dt) for k, v in params.items()}
        if d.alpha is None:
            return fn(xc, **pc)
        return fn(xc, jnp.asarray(d.alpha, dt), **pc)

    def step(x):
        if d.forward is not None:
            dt = jnp.promote_types(x.dtype, jnp.float32)
            return call(d.forward, x, dt).astype(x.dtype)
        if d.at_zero == 0:
            return (x > 0).astype(x.dtype)
        if d.at_zero == 1:
            return (x >= 0).astype(x.dtype)
        return jnp.where(x == 0, jnp.asarray(d.at_zero, x.dtype),
                         (x > 0).astype(x.dtype))

    return custom_vjp_spike(step, lambda x, dt: call(d.derivative, x, dt))


def twin(name: str):
    """(kind, twin) of a shape: the hand-written formula where there is one,
    else the plain custom_vjp of its declared derivative; None if stochastic.
    """
    if name in HANDWRITTEN_SHAPES:
        return FORMULA, handwritten(name, js.get(name).declaration.alpha)
    spike = plain_twin(name)
    return None if spike is None else (DECLARED, spike)
