"""The examples, each run as a user runs it (``python examples/<script> ARGS``;
one process runs them one after another, see tests/run_example_process.py) in
a tiny setting.

Tiny means 400 digits, 2 epochs of 9 steps, 8 time steps and a large learning
rate: enough for the loss to fall, small enough for seconds per run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import jaxsurrogate as js
from tests.helpers import import_from

for _module in ("flax", "haiku", "equinox", "optax", "sklearn", "matplotlib", "tqdm"):
    pytest.importorskip(_module, reason=f"the examples need {_module}: "
                        f"pip install -e '.[examples]'")
pytest.importorskip("nir", reason="the NIR example needs nir: pip install -e '.[nir]'")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
TINY = ["--limit", "400", "--epochs", "2", "--steps", "8", "--lr", "0.01",
        "--no-progress"]
METRIC_KEYS = {"test_accuracy", "train_seconds", "surrogate", "epochs",
               "train_loss", "step_losses", "train_accuracy",
               "test_accuracy_per_epoch"}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# What examples/sharded_training.py asks a CPU-only machine for; a caller's
# other XLA flags kept.
_DEVICE_COUNT = "--xla_force_host_platform_device_count"
EIGHT_DEVICES = {"XLA_FLAGS": " ".join(
    [*(f for f in os.environ.get("XLA_FLAGS", "").split() if not f.startswith(_DEVICE_COUNT)),
     f"{_DEVICE_COUNT}=8"])}


def _environment(env: dict[str, str] | None) -> dict[str, str]:
    full_env = {**os.environ, **(env or {})}
    # The checkout, whether or not the package is pip-installed.
    full_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return full_env


def _checked(script: str, proc, returncode: int):
    assert proc.returncode == returncode, (
        f"{script} exited {proc.returncode}\n--- stdout\n{proc.stdout}\n"
        f"--- stderr\n{proc.stderr[-4000:]}")
    return proc


def run_example(script: str, *args: str, env: dict[str, str] | None = None,
                returncode: int = 0) -> subprocess.CompletedProcess:
    """Runs examples/<script> with this interpreter; fails with its output
    unless it exits with ``returncode``."""
    proc = subprocess.run([sys.executable, str(EXAMPLES / script), *args],
                          capture_output=True, text=True, env=_environment(env),
                          cwd=ROOT, timeout=600)
    return _checked(script, proc, returncode)


class ExampleRuns:
    """Runs of the examples, ``name -> [script, *args]``, one after another in one
    process (tests/run_example_process.py), each as ``python <script> ARGS``
    would run; the imports happen once. The process has 8 CPU devices, as
    examples/sharded_training.py asks."""

    def __init__(self, runs: dict[str, list[str]], work: Path) -> None:
        self.scripts = {name: Path(script).name for name, (script, *_) in runs.items()}
        self.work = work
        spec, result = work / "spec.json", work / "result.json"
        spec.write_text(json.dumps(runs))
        proc = subprocess.run(
            [sys.executable, str(ROOT / "tests" / "run_example_process.py"),
             str(spec), str(result)],
            capture_output=True, text=True, env=_environment(EIGHT_DEVICES), cwd=ROOT,
            timeout=1800)
        _checked("run_example_process.py", proc, 0)
        self._results = json.loads(result.read_text())

    def __getitem__(self, name: str) -> subprocess.CompletedProcess:
        # "seconds" (each run's time) is there for a person reading result.json.
        result = {k: v for k, v in self._results[name].items() if k != "seconds"}
        return subprocess.CompletedProcess([self.scripts[name]], **result)

    def get(self, name: str, returncode: int = 0) -> subprocess.CompletedProcess:
        """The run called ``name``; fails with its output unless it exited ``returncode``."""
        return _checked(self.scripts[name], self[name], returncode)


def example_run_table(work: Path) -> dict[str, list[str]]:
    """Every example run that test_example_runs checks,
    ``name -> [script, *args]``; a run writes its files under ``work/<name>``."""
    def run(script: str, *args: str) -> list[str]:
        return [str(EXAMPLES / script), *args]

    quick = ["--limit", "400", "--epochs", "1", "--steps", "4", "--no-progress"]
    runs = {
        "trains_and_writes_outputs": run("train_digits.py", *TINY),
        "compare_prints_a_row_per_norse_method": run("train_digits.py", *quick, "--compare"),
        # Latency coding gives each pixel at most one spike: from a Lecun start,
        # too weak for these neurons to reach the threshold, and at the default
        # learning rate the hidden layer stays silent (js.init's start, sized
        # for that rate, fires).
        "silent_hidden_layer_is_warned_about": run(
            "train_digits.py", "--limit", "400", "--epochs", "2", "--steps", "8",
            "--no-progress", "--init", "lecun", "--surrogate", "spyx.boxcar",
            "--encoding", "latency"),
        "diagnoses_and_schedules": run("train_digits.py", *TINY, "--diagnose",
                                       "--alpha-schedule", "linear:10:100",
                                       "--init", "lecun"),
        "unknown_surrogate_is_the_registry_s_message": run("train_digits.py", "--surrogate",
                                                           "superspik"),
        "help_shows_each_default_once": run("train_digits.py", "--help"),
        "haiku_with_a_preset": run("haiku_digits.py", *TINY, "--surrogate", "snntorch.atan"),
        # Two alphas, one seed, one short epoch, two hidden layers; then the
        # table and plot re-rendered from the first run's JSON alone.
        "alpha_sweep": run("alpha_sweep.py", "--alphas", "1,100", "--layers", "2",
                           "--seeds", "1", "--epochs", "1", "--methods", "adaptive-ds_atgo",
                           "--inits", "fluctuation", "--steps", "4", "--limit", "200",
                           "--hidden", "16"),
        "alpha_sweep_again": run("alpha_sweep.py", "--from-json",
                                 str(work / "alpha_sweep" / "sweep.json")),
        "equinox_with_a_spikingjelly_preset": run("equinox_digits.py", *TINY, "--surrogate",
                                                  "spikingjelly.atan"),
        "nir_roundtrip": run("nir_roundtrip.py", "--limit", "200", "--epochs", "1",
                             "--steps", "4"),
        "sharded_uses_8_devices_and_matches_one_device": run(
            "sharded_training.py", *TINY, "--check-single-device"),
        "sltt_accuracy": run("sltt_accuracy.py", "--seeds", "2", "--lengths", "4",
                             "--encodings", "latency", "--epochs", "1", "--limit", "200",
                             "--hidden", "16", "--no-progress"),
    }
    for name, args in runs.items():
        if name not in ("unknown_surrogate_is_the_registry_s_message",
                        "help_shows_each_default_once"):
            args += ["--out", str(work / name)]
    return runs


def check_outputs(out: Path, surrogate: str) -> dict:
    """metrics.json has the keys and a falling loss; the PNGs exist."""
    metrics = json.loads((out / "metrics.json").read_text())
    assert METRIC_KEYS <= set(metrics), METRIC_KEYS - set(metrics)
    assert metrics["surrogate"] == surrogate
    assert metrics["epochs"] == 2 and len(metrics["train_loss"]) == 2
    assert 0.0 <= metrics["test_accuracy"] <= 1.0
    assert metrics["train_seconds"] > 0
    losses = metrics["step_losses"]
    assert all(np.isfinite(losses))
    # Training, not noise: the second epoch beats the first, and the last
    # steps beat the first steps by a margin.
    assert metrics["train_loss"][1] < metrics["train_loss"][0]
    assert np.mean(losses[-3:]) < np.mean(losses[:3]) - 0.05, losses
    for name in ("learning_curves.png", "raster.png"):
        data = (out / name).read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 5_000, name
    # The hidden layer spiked after every epoch, and nothing warned.
    assert metrics["silent_epochs"] == []
    assert len(metrics["hidden_spikes_per_epoch"]) == 2
    assert min(metrics["hidden_spikes_per_epoch"]) > 0
    assert metrics["raster_prediction"] in range(10)
    return metrics


def png_width(path: Path) -> int:
    return int.from_bytes(path.read_bytes()[16:20], "big")


def test_example_runs(tmp_path: Path) -> None:
    """Every run of example_run_table in one process; each run's check reported.

    A check is the function ``_<run name>`` below; a run without one (the
    sweep's re-rendering) is read by the check before it."""
    runs = ExampleRuns(example_run_table(tmp_path), tmp_path)
    checks = [name for name in runs.scripts if f"_{name}" in globals()]
    assert len(checks) >= len(runs.scripts) - 1, checks
    failed = []
    for name in checks:
        try:
            globals()[f"_{name}"](runs, tmp_path / name)
        except AssertionError as err:
            failed.append(f"{name}: {err}")
    assert not failed, "\n\n".join(failed)


def _trains_and_writes_outputs(runs: ExampleRuns, out: Path) -> None:
    proc = runs.get("trains_and_writes_outputs")
    metrics = check_outputs(out, "super")
    assert metrics["alpha"] == 100.0  # Norse's default for "super"
    assert metrics["framework"] == "flax.nnx"
    assert metrics["init"] == "fluctuation"
    assert "test accuracy" in proc.stdout
    assert "silent" not in proc.stderr


def _compare_prints_a_row_per_norse_method(runs: ExampleRuns, out: Path) -> None:
    proc = runs.get("compare_prints_a_row_per_norse_method")
    table = (out / "compare.md").read_text()
    assert table.strip() in proc.stdout
    rows = [line for line in table.splitlines() if line.startswith("| ")][1:]
    methods = list(js.NORSE_METHODS)
    assert [r.split("|")[1].strip() for r in rows] == methods
    for m in methods:
        assert (out / m / "metrics.json").is_file()


def _diagnoses_and_schedules(runs: ExampleRuns, out: Path) -> None:
    runs.get("diagnoses_and_schedules")
    metrics = json.loads((out / "metrics.json").read_text())
    # 300 training digits, batch 32: 9 steps an epoch, 18 in all (0 to 17);
    # alpha at each epoch's last step (8, 17) of the linear schedule 10 -> 100,
    # which ends at 100.
    np.testing.assert_allclose(metrics["alpha_per_epoch"], [10 + 90 * 8 / 17, 100.0],
                               rtol=1e-6)
    assert metrics["alpha"] is None
    assert metrics["alpha_schedule"] == "linear:10:100"
    assert metrics["init"] == "lecun"
    assert len(metrics["window_fraction"]) == len(metrics["mean_g"]) == 2
    assert all(0 < f < 1 for f in metrics["window_fraction"])
    assert all(g > 0 for g in metrics["mean_g"])
    assert "window_x" not in metrics
    assert (out / "window.png").read_bytes().startswith(PNG_MAGIC)


def _haiku_with_a_preset(runs: ExampleRuns, out: Path) -> None:
    runs.get("haiku_with_a_preset")
    metrics = check_outputs(out, "snntorch.atan")
    assert metrics["framework"] == "haiku"


def _equinox_with_a_spikingjelly_preset(runs: ExampleRuns, out: Path) -> None:
    proc = runs.get("equinox_with_a_spikingjelly_preset")
    metrics = check_outputs(out, "spikingjelly.atan")
    assert metrics["framework"] == "equinox"
    assert metrics["alpha"] == 2.0  # SpikingJelly's ATan default
    assert "test accuracy" in proc.stdout


def _alpha_sweep(runs: ExampleRuns, out: Path) -> None:
    """Two alphas, one seed, one short epoch, two hidden layers: the files;
    then the same table and plot from the JSON alone."""
    again = out.parent / "alpha_sweep_again"
    runs.get("alpha_sweep")
    result = json.loads((out / "sweep.json").read_text())
    assert [(r["method"], r["layers"], r["init"]) for r in result["runs"]] == [
        ("adaptive-ds_atgo", 2, "fluctuation")]
    for run in result["runs"]:
        # one compilation trains both alphas (alpha is a traced, vmapped operand)
        assert run["compilations"] == 1 and run["finite"]
        assert run["alphas"] == [1.0, 100.0]
        assert np.shape(run["window_fraction"]) == (2, run["layers"])
        assert all(0 <= a <= 1 for a in run["test_accuracy"])
        assert len(run["start_statistics"]) == 2
        assert all(0 <= s["silent_fraction"] <= 1 for s in run["start_statistics"])
    line = result["lines"]["adaptive-ds_atgo/2/fluctuation"]
    mean = np.asarray(line["mean"])
    assert line["spread"] == pytest.approx(mean.max() - mean.min())
    assert line["best"] == pytest.approx(mean.max())
    assert [g["met"] for g in result["depth_goal"]] == [
        line["best"] >= 0.97 and mean.min() >= 0.90]
    table = (out / "sweep.md").read_text()
    # the accuracy table and the window table, one row each per method and init
    assert table.count("| adaptive-ds_atgo | 2 | fluctuation |") == 2
    assert "| 2 | fluctuation |" in table  # the rates before training
    assert (out / "sweep.png").read_bytes().startswith(PNG_MAGIC)
    # the table and plot re-render from the JSON alone
    runs.get("alpha_sweep_again")
    assert (again / "sweep.md").read_text() == table


def _sltt_accuracy(runs: ExampleRuns, out: Path) -> None:
    proc = runs.get("sltt_accuracy")
    result = json.loads((out / "sltt_accuracy.json").read_text())
    # every policy, length and seed, each a trained network of its own
    assert [(r["steps"], r["policy"], r["seed"]) for r in result["runs"]] == [
        (4, policy, seed) for policy in ("full", "sltt") for seed in (0, 1)]
    assert all(r["encoding"] == "latency" and 0 <= r["test_accuracy"] <= 1
               for r in result["runs"])
    table = (out / "SLTT.md").read_text()
    assert table in proc.stdout
    (row,) = [line for line in table.splitlines() if line.startswith("| latency |")]
    cells = [cell.strip() for cell in row.split("|")[1:-1]]
    for policy, cell in zip(("full", "sltt"), cells[2:4]):
        values = [r["test_accuracy"] for r in result["runs"] if r["policy"] == policy]
        assert cell == f"{np.mean(values):.3f} ± {np.std(values, ddof=1):.3f}"
    assert cells[:2] == ["latency", "4"]


def _sharded_uses_8_devices_and_matches_one_device(runs: ExampleRuns, out: Path) -> None:
    proc = runs.get("sharded_uses_8_devices_and_matches_one_device")
    metrics = check_outputs(out, "super")
    assert metrics["n_devices"] == 8
    assert len(metrics["devices"]) == 8
    # Batch 32 split over 8 devices: 8 pieces of 4 rows.
    assert metrics["batch_shard_shapes"] == [[4, 64]] * 8
    single = metrics["single_device_step_losses"]
    assert len(single) == len(metrics["step_losses"])
    assert metrics["max_abs_diff"] <= 1e-5
    np.testing.assert_allclose(metrics["step_losses"][:metrics["check_steps"]],
                               single[:metrics["check_steps"]],
                               rtol=0, atol=1e-5)
    # Later the runs part (a rounding difference flips a spike) but stay on
    # the same course; a wrong gradient all-reduce would not.
    np.testing.assert_allclose(metrics["train_loss"],
                               metrics["single_device_train_loss"], atol=0.05)
    assert "OK" in proc.stdout
    # learning_curves.png plots both runs (three panels), not the sharded
    # run alone (two panels, as wide as the raster).
    assert len(metrics["single_device_test_accuracy_per_epoch"]) == 2
    assert png_width(out / "learning_curves.png") > png_width(out / "raster.png")


def _silent_hidden_layer_is_warned_about(runs: ExampleRuns, out: Path) -> None:
    proc = runs.get("silent_hidden_layer_is_warned_about")
    assert "warning: the hidden layer was silent after epoch 1" in proc.stderr
    assert "silent in 2 of 2 epochs" in proc.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["silent_epochs"] == [1, 2]
    assert metrics["hidden_spikes_per_epoch"] == [0, 0]


def _unknown_surrogate_is_the_registry_s_message(runs: ExampleRuns, out: Path) -> None:
    proc = runs.get("unknown_surrogate_is_the_registry_s_message", returncode=1)
    with pytest.raises(js.UnknownSurrogateError) as err:
        js.get("superspik")
    assert proc.stderr.strip() == f"--surrogate: {err.value}"
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def _help_shows_each_default_once(runs: ExampleRuns, out: Path) -> None:
    proc = runs.get("help_shows_each_default_once")
    text = " ".join(proc.stdout.split())
    assert text.count("runs/train_digits") == 1, text
    for option, default in [("--epochs", "10"), ("--seed", "0"), ("--steps", "16"),
                            ("--hidden", "128"), ("--batch-size", "32"),
                            ("--lr", "0.002"), ("--encoding", "rate"),
                            ("--surrogate", "super"), ("--out", "runs/train_digits")]:
        block = text.split(f" {option} ", 1)[1].split(" --", 1)[0]
        assert block.count("(default:") == 1 and f"(default: {default})" in block, (
            option, block)
    # Where there is no default to show, none is shown: no "(default: None)".
    assert "(default: None)" not in text and "(default: False)" not in text


def test_the_process_runner_reports_as_python_would(tmp_path: Path) -> None:
    """What the one-process runner returns is what separate processes return."""
    script = tmp_path / "script.py"
    script.write_text(
        "import sys, warnings\n"
        "print('out', sys.argv[1:])\n"
        "warnings.warn('careful')\n"
        "if sys.argv[1] == 'exit': sys.exit('stopped')\n"
        "if sys.argv[1] == 'raise': raise RuntimeError('boom')\n"
        "if sys.argv[1] == 'code': sys.exit(3)\n")
    runs = {name: [str(script), name] for name in ("ok", "exit", "raise", "code", "ok2")}
    shared = ExampleRuns(runs, tmp_path)
    for name, (_, *args) in runs.items():
        alone = subprocess.run([sys.executable, str(script), *args], capture_output=True,
                               text=True, cwd=ROOT)
        got = shared[name]
        assert got.returncode == alone.returncode and got.stdout == alone.stdout, name
        # The same messages (Python's own traceback shows the runner's frames too).
        assert alone.stderr.strip().splitlines()[-1] == got.stderr.strip().splitlines()[-1]
        assert ("careful" in got.stderr) and ("careful" in alone.stderr), name


# In-process checks of the shared helpers (cheap; no training).


@pytest.fixture(scope="module")
def digits():
    return import_from(EXAMPLES, "_digits")[0]


def test_every_option_has_help(digits) -> None:
    ap = digits.parser("x", compare=True)
    for action in ap._actions:
        assert action.help, action.option_strings


def test_raster_title_names_alpha_and_prediction(digits, tmp_path, monkeypatch) -> None:
    import matplotlib.figure

    saved = []
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig",
                        lambda fig, *a, **k: saved.append(fig))
    spikes = np.zeros((4, 8))
    spikes[1, 2] = 1
    digits.plot_raster(spikes, np.zeros(64), 3, tmp_path / "r.png",
                       surrogate="snntorch.atan", alpha=2.0, predicted=5)
    (fig,) = saved
    texts = [fig.get_suptitle(), *(ax.get_title() for ax in fig.axes)]
    assert "surrogate snntorch.atan, alpha 2" in texts
    assert any("label 3" in t and "predicted 5" in t for t in texts), texts


def test_unknown_surrogate_and_stray_alpha_are_clear_errors(digits) -> None:
    with pytest.raises(SystemExit, match="unknown surrogate 'superspyke'"):
        digits.resolve_surrogate("superspyke")
    with pytest.raises(SystemExit, match="heaviside has no alpha"):
        digits.resolve_surrogate("heaviside", 2.0)


def test_stochastic_surrogate_gets_a_key_per_step(digits) -> None:
    import jax
    import jax.numpy as jnp

    sur = digits.resolve_surrogate("logistic")
    assert sur.stochastic
    cfg = digits.Config(sur, steps=6)
    w = jax.random.normal(jax.random.key(0), (64, 16), jnp.float32)
    images = jnp.full((3, 64), 0.5, jnp.float32)

    @jax.jit
    def spikes(w, key):
        return digits.snn_forward(lambda x: x @ w, lambda x: x[..., :10],
                                  images, key, cfg)[1]

    a = spikes(w, jax.random.key(1))
    # float32 even though the test session runs with x64 enabled.
    assert a.dtype == jnp.float32 and a.shape == (6, 3, 16)
    np.testing.assert_array_equal(a, spikes(w, jax.random.key(1)))
    assert not np.array_equal(a, spikes(w, jax.random.key(2)))
    grad = jax.grad(lambda w: spikes(w, jax.random.key(1)).sum())(w)
    assert grad.dtype == jnp.float32 and np.any(np.asarray(grad) != 0)


def test_the_policy_reaches_the_hidden_layer_s_scan(digits) -> None:
    import jax
    import jax.numpy as jnp

    w = jax.random.normal(jax.random.key(0), (64, 16), jnp.float32)
    images = jax.random.uniform(jax.random.key(1), (3, 64), jnp.float32)

    def grad(policy):
        cfg = digits.Config(digits.resolve_surrogate("super"), steps=6, policy=policy)
        return jax.grad(lambda w: digits.snn_forward(
            lambda x: x @ w, lambda x: x[..., :10], images, jax.random.key(2), cfg)[0].sum())(w)

    full, checkpoint, sltt = map(grad, ("full", "checkpoint", "sltt"))
    np.testing.assert_allclose(checkpoint, full, rtol=1e-6, atol=1e-7)
    assert np.abs(full).max() > 0 and np.abs(sltt).max() > 0
    assert not np.allclose(sltt, full, rtol=1e-3, atol=1e-5)  # SLTT's cut gradient


def test_encodings(digits) -> None:
    import jax
    import jax.numpy as jnp

    images = jnp.array([[0.0, 0.05, 0.5, 1.0]], jnp.float32)
    latency = digits.encode(images, 5, jax.random.key(0), "latency")
    # One spike per pixel above 0.1, brighter ones earlier; none for dim ones.
    np.testing.assert_array_equal(np.asarray(latency).sum(0), [[0, 0, 1, 1]])
    assert int(np.argmax(latency[:, 0, 3])) == 0
    assert int(np.argmax(latency[:, 0, 2])) == 2
    rate = digits.encode(jnp.full((1, 2000), 0.25, jnp.float32), 4,
                         jax.random.key(0), "rate")
    assert rate.dtype == jnp.float32
    assert abs(float(rate.mean()) - 0.25) < 0.02
    with pytest.raises(ValueError, match="unknown encoding"):
        digits.encode(images, 5, jax.random.key(0), "phase")


def _nir_roundtrip(runs: ExampleRuns, out: Path) -> None:
    runs.get("nir_roundtrip")
    result = json.loads((out / "nir_roundtrip.json").read_text())
    assert (out / "network.nir").is_file()
    assert result["file_read_back_here_equal"] is True
    assert 0.0 <= result["test_accuracy"] <= 1.0
    try:
        import norse  # noqa: F401
    except ImportError:
        return
    assert result["norse_spikes_equal_fraction"] == 1.0
    assert result["norse_test_accuracy"] == result["test_accuracy"]
    assert result["output_spikes"] > 0
