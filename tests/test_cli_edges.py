"""The command lines refuse bad input before any work, with one-line errors.

``python -m jaxsurrogate gallery|catalogue`` and the examples' flags, called
in-process (their ``main``/parsers), so these checks cost no training run.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxsurrogate import __main__ as cli
from jaxsurrogate._src import gallery, tables
from tests.helpers import import_from

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def no_drawing(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the gallery was drawn before its output was checked")
    monkeypatch.setattr(gallery, "draw", refuse)


@pytest.mark.parametrize("out, words", [
    ("out.jpg2", "the format 'jpg2' is not one matplotlib writes"),
    ("out", "the format '(none)' is not one matplotlib writes"),
    ("missing/out.png", "the folder missing does not exist"),
])
def test_gallery_checks_its_output_before_drawing(out, words, no_drawing, tmp_path,
                                                  monkeypatch, capsys):
    pytest.importorskip("matplotlib", reason="the gallery needs pip install -e '.[examples]'")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["gallery", out]) == 2
    assert words in capsys.readouterr().err


@pytest.mark.parametrize("content, words", [
    (None, "can't be read"),
    (b"\xff\xfe\x00", "is not UTF-8 text"),
    (b"text\n", "has no <!-- catalogue:NAME --> markers"),
    (b"<!-- catalogue:shapes -->\nold\n", "opens <!-- catalogue:shapes --> without a closing"),
    (b"<!-- catalogue:nope -->\nold\n<!-- /catalogue:nope -->\n",
     "marks unknown table(s) nope; the tables are norse, shapes, presets"),
])
@pytest.mark.parametrize("flag", ["--write", "--check"])
def test_catalogue_names_what_is_wrong_with_the_file(content, words, flag, tmp_path, capsys):
    path = tmp_path / "page.md"
    if content is not None:
        path.write_bytes(content)
    assert cli.main(["catalogue", flag, str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path} ") and words in err, err
    assert err.count("\n") == 1  # one line, no traceback


def test_catalogue_keeps_a_crlf_file_crlf(tmp_path):
    path = tmp_path / "page.md"
    path.write_bytes(b"intro\r\n<!-- catalogue:norse -->\r\nold\r\n<!-- /catalogue:norse -->\r\n"
                     b"end\r\n")
    assert cli.main(["catalogue", "--write", str(path)]) == 0
    data = path.read_bytes()
    assert data.count(b"\n") == data.count(b"\r\n") > 5
    assert data.replace(b"\r\n", b"\n").decode() == tables.fill(
        "intro\n<!-- catalogue:norse -->\nold\n<!-- /catalogue:norse -->\nend\n")
    assert cli.main(["catalogue", "--check", str(path)]) == 0


@pytest.fixture(scope="module")
def examples():
    for module in ("optax", "sklearn", "matplotlib"):
        pytest.importorskip(module, reason="the examples need pip install -e '.[examples]'")
    return import_from(ROOT / "examples", "_digits", "_width", "alpha_sweep")


@pytest.mark.parametrize("argv, words", [
    (["--epochs", "0"], "argument --epochs: expected a whole number >= 1, got '0'"),
    (["--steps", "-3"], "argument --steps: expected a whole number >= 1"),
    (["--alpha", "nan"], "argument --alpha: expected a finite number > 0, got 'nan'"),
    (["--batch-size", "2.5"], "argument --batch-size: expected a whole number >= 1"),
    (["--lr", "0"], "argument --lr: expected a finite number > 0"),
])
def test_the_examples_refuse_bad_numbers_at_parse_time(argv, words, examples, capsys):
    digits, _, _ = examples
    with pytest.raises(SystemExit) as exit_info:
        digits.parser("test").parse_args(argv)
    assert exit_info.value.code == 2
    assert words in capsys.readouterr().err


@pytest.mark.parametrize("argv, words", [
    (["--alphas", "0,-5,nan"], "argument --alphas: expected a finite number > 0, got '0'"),
    (["--alphas", "1,nan"], "expected a finite number > 0, got 'nan'"),
    (["--layers", "0"], "argument --layers: expected a whole number >= 1, got '0'"),
    (["--seeds", "0"], "argument --seeds: expected a whole number >= 1, got '0'"),
    (["--epochs", "0"], "argument --epochs: expected a whole number >= 1"),
    (["--methods", "fixed,sigmoid"], "argument --methods: expected one of fixed, "),
    (["--inits", "xavier"], "argument --inits: expected one of fluctuation, calibrated, lecun, got 'xavier'"),
    (["--init-xi", "0"], "argument --init-xi: expected a finite number > 0"),
])
def test_the_alpha_sweep_refuses_bad_lists_before_loading_data(argv, words, examples, capsys,
                                                               monkeypatch):
    digits, _, sweep = examples
    monkeypatch.setattr(digits, "load_digits", lambda *a: pytest.fail("data loaded"))
    with pytest.raises(SystemExit) as exit_info:
        sweep.main(argv)
    assert exit_info.value.code == 2
    assert words in capsys.readouterr().err


def _schedule_args(kind, epochs=1, batch=4):
    return argparse.Namespace(alpha_schedule=f"{kind}:1:100", alpha=None, epochs=epochs,
                              batch_size=batch)


def test_the_alpha_schedule_reaches_its_end_on_the_last_step(examples):
    digits, width, _ = examples
    surrogate = digits.resolve_surrogate("super")
    data = argparse.Namespace(y_train=np.zeros(32))  # 8 steps of 4
    for kind in width.KINDS:
        schedule = width.alpha_schedule(_schedule_args(kind), surrogate, data)
        np.testing.assert_allclose([float(schedule(0)), float(schedule(7))], [1.0, 100.0],
                                   rtol=1e-6, err_msg=kind)
    with pytest.raises(SystemExit, match="--alpha-schedule: the run has no optimiser step"):
        width.alpha_schedule(_schedule_args("linear", batch=64), surrogate, data)


def test_metrics_record_the_schedule_not_the_default_alpha(examples):
    digits, _, _ = examples
    args = digits.parser("test").parse_args(["--alpha-schedule", "linear:1:100"])
    data = argparse.Namespace(y_train=np.zeros(8), y_test=np.zeros(4))
    info = digits.run_info(args, digits.resolve_surrogate("super"), data, "flax")
    assert info["alpha"] is None and info["alpha_schedule"] == "linear:1:100"
    fixed = digits.run_info(digits.parser("t").parse_args([]),
                            digits.resolve_surrogate("super"), data, "flax")
    assert fixed["alpha"] == 100.0


def test_diagnosing_a_random_surrogate_draws_with_a_key(examples):
    digits, width, _ = examples
    cfg = digits.Config(digits.resolve_surrogate("local_zo"), steps=4)
    args = argparse.Namespace(diagnose=True, seed=0)
    data = argparse.Namespace(x_test=np.zeros((3, 64), np.float32))
    x = jax.random.normal(jax.random.key(0), (4, 3, 16))
    on_epoch = width.diagnosis(args, cfg, lambda images, key: x, data)
    history: dict = {}
    for step in (7, 15):  # two epochs, each its own draw (without a key: a TypeError)
        on_epoch(history, step)
    assert len(history["window_fraction"]) == 2
    assert all(0 < f < 1 for f in history["window_fraction"])
    assert history["mean_g"][0] != history["mean_g"][1]  # each epoch's own draw
    assert jnp.isfinite(jnp.asarray(history["mean_g"])).all()
