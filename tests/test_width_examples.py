"""The width tools in the digits examples: --diagnose, --alpha-schedule, and the sweep.

The shared helpers, checked in process against closed forms; the scripts run
as a user runs them in tests/test_examples.py.
"""

from __future__ import annotations

import argparse
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxsurrogate as js

for _module in ("flax", "optax", "sklearn", "matplotlib", "tqdm"):
    pytest.importorskip(_module, reason=f"the examples need {_module}: "
                        f"pip install -e '.[examples]'")

from tests.helpers import import_from  # noqa: E402
from tests.test_examples import EXAMPLES  # noqa: E402


@pytest.fixture(scope="module")
def examples():
    return tuple(import_from(EXAMPLES, "_digits", "_width"))


@pytest.fixture(scope="module")
def examples_sweep():
    return tuple(import_from(EXAMPLES, "_digits", "_width", "alpha_sweep"))[-1]


def test_hidden_potentials_are_what_the_threshold_sees(examples) -> None:
    digits, width = examples
    sur = digits.resolve_surrogate("super", 30.0)
    cfg = digits.Config(sur, steps=6)
    w = 0.6 * jax.random.normal(jax.random.key(0), (64, 32), jnp.float32)
    images = jax.random.uniform(jax.random.key(1), (20, 64), jnp.float32)
    key = jax.random.key(2)
    x = digits.hidden_potentials(lambda s: s @ w, images, key, cfg)
    spikes = digits.snn_forward(lambda s: s @ w, lambda s: s[..., :10], images, key, cfg)[1]
    assert x.shape == spikes.shape == (6, 20, 32)
    # superspike's H(0) = 0: a spike exactly where x > 0
    np.testing.assert_array_equal(np.asarray(x) > 0, np.asarray(spikes) == 1)
    assert 0 < float(spikes.mean()) < 1
    # the diagnosis measures these potentials with superspike's window
    args = argparse.Namespace(diagnose=True, seed=0)
    data = argparse.Namespace(x_test=images)
    history = {}
    hook = width.diagnosis(args, cfg, lambda imgs, k: x, data)
    hook(history, 0)
    g = 1 / (30.0 * np.abs(np.asarray(x, np.float64)) + 1) ** 2
    assert history["window_fraction"][0] == pytest.approx(np.mean(g >= 0.01), abs=1e-6)
    assert history["mean_g"][0] == pytest.approx(g.mean(), rel=1e-5)
    assert history["alpha_per_epoch"] == [30.0]
    # and the layer's statistics, over the same spikes the network fires
    stats = history["layer_statistics"][0]
    fired = (np.asarray(spikes) == 1).reshape(-1, 32).any(0)
    assert stats["rate"] == pytest.approx(float(np.mean(np.asarray(spikes))) / 1e-3, rel=1e-6)
    assert stats["silent_fraction"] == pytest.approx(1 - fired.mean())
    assert stats["v_mean"] == pytest.approx(float(np.mean(np.asarray(x, np.float64))), rel=1e-5)
    assert width.diagnosis(argparse.Namespace(diagnose=False), cfg, None, data) is None


def test_hidden_init_is_js_init_for_the_digits_rate(examples) -> None:
    """--init fluctuation: js.init's weights for the encoded digits' rate over --steps,
    read as (in, out) for Flax and Haiku and (out, in) for Equinox."""
    digits, _ = examples
    data = digits.load_digits(300)
    args = argparse.Namespace(init="fluctuation", steps=8, seed=0, encoding="rate")
    spikes = digits.encode(data.x_train[:digits.INIT_DIGITS], 8, jax.random.key(0), "rate")
    _, sigma = js.init.weight_moments(rate=js.init.firing_rate(spikes), fan_in=64, window=8)
    flax_w = digits.hidden_init(args, data)(jax.random.key(1), (64, 4000), jnp.float32)
    eqx_w = digits.hidden_init(args, data, in_axis=-1, out_axis=-2)(
        jax.random.key(1), (4000, 64), jnp.float32)
    for w in (flax_w, eqx_w):
        assert float(jnp.std(w)) == pytest.approx(float(sigma), rel=0.01)
    lecun = digits.hidden_init(argparse.Namespace(init="lecun"), data)(
        jax.random.key(1), (64, 4000), jnp.float32)
    assert float(jnp.std(lecun)) == pytest.approx(1 / 8, rel=0.02)


def _run(method, init, accuracy, layers=4):
    return {"method": method, "layers": layers, "init": init, "alphas": [1.0, 10.0, 3000.0],
            "test_accuracy": accuracy, "window_fraction": [[0.5]] * 3}


def test_the_sweep_s_goals_are_computed_as_stated(examples_sweep) -> None:
    """The width goal (spread <= a third of fixed's at an equal best) and the depth
    goal (best >= 0.97, no alpha in 1..1000 below 0.90), on made-up accuracies."""
    summary = examples_sweep.summarise([
        _run("fixed", "fluctuation", [0.97, 0.60, 0.10]),
        _run("adaptive-ds_atgo", "fluctuation", [0.97, 0.95, 0.90]),   # spread 0.07 <= 0.29
        _run("adaptive-two_std", "fluctuation", [0.96, 0.95, 0.96]),   # best below fixed's
        _run("fixed", "lecun", [0.50, 0.10, 0.10]),
        _run("adaptive-ds_atgo", "lecun", [0.50, 0.10, 0.10]),         # spread 0.4 > 0.13
        _run("fixed", "lecun", [0.10, 0.10, 0.10], layers=8),
        _run("adaptive-ds_atgo", "lecun", [0.10, 0.10, 0.10], layers=8),  # never trains
    ])
    width = {(g["method"], g["init"], g["layers"]): g["met"] for g in summary["goal"]}
    assert width == {("adaptive-ds_atgo", "fluctuation", 4): True,
                     ("adaptive-two_std", "fluctuation", 4): False,
                     ("adaptive-ds_atgo", "lecun", 4): False,
                     ("adaptive-ds_atgo", "lecun", 8): False}
    depth = {g["method"]: (g["met"], g["worst_1_1000"]) for g in summary["depth_goal"]}
    # alpha 3000 lies outside 1..1000: fixed's 0.10 there does not count, its 0.60 does
    assert depth == {"fixed": (False, 0.60), "adaptive-ds_atgo": (True, 0.95),
                     "adaptive-two_std": (False, 0.95)}


def test_alpha_schedule_flag(examples) -> None:
    digits, width = examples
    data = argparse.Namespace(y_train=np.zeros(100))
    sur = digits.resolve_surrogate("super")

    def schedule(text, alpha=None, name="super"):
        args = argparse.Namespace(alpha_schedule=text, alpha=alpha, epochs=2, batch_size=10)
        return width.alpha_schedule(args, digits.resolve_surrogate(name), data)

    assert schedule(None) is None
    # 20 steps, 0 to 19: 1 -> 9 along half a cosine, END at the last step.
    cosine = schedule("cosine:1:9")
    for t in (0, 5, 10, 19, 25):
        want = 1 + 8 * (1 - math.cos(math.pi * min(t, 19) / 19)) / 2
        assert float(cosine(t)) == pytest.approx(want, rel=1e-6)
    cfg = digits.Config(sur, steps=4, alpha_schedule=cosine)
    assert float(cfg.alpha_at(19)) == pytest.approx(9.0, rel=1e-6)
    assert cfg.alpha_at(None) == 100.0 and digits.Config(sur, 4).alpha_at(3) == 100.0
    for text, message in [("linear:1", "expected KIND:START:END"),
                          ("step:1:2", "KIND must be one of linear, cosine"),
                          ("linear:0:2", "START and END must be finite and > 0"),
                          ("cosine:1:inf", "START and END must be finite")]:
        with pytest.raises(SystemExit, match=f"--alpha-schedule: {message}"):
            schedule(text)
    with pytest.raises(SystemExit, match="heaviside has no alpha"):
        schedule("linear:1:2", name="heaviside")
    with pytest.raises(SystemExit, match="not both"):
        schedule("linear:1:2", alpha=3.0)
