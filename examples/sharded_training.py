"""Data-parallel training of the digits SNN over every device with jax.sharding.

The batch is split over a one-axis device mesh named ``"data"``
(``NamedSharding(mesh, PartitionSpec("data"))``); the parameters and the
optimizer state are replicated (``PartitionSpec()``). The train step is a
plain ``jax.jit`` with those shardings: XLA partitions the forward and
backward passes and inserts the all-reduce of the gradients itself; no
``pmap`` and no hand-written collectives.

Try it on one CPU by simulating 8 devices (the flag must be set before JAX is
imported, hence in the environment):

    XLA_FLAGS=--xla_force_host_platform_device_count=8 \\
        python examples/sharded_training.py --check-single-device

``--check-single-device`` trains twice from the same seed, once sharded over
all devices and once on one device, prints both loss curves and their largest
absolute difference over the first ``--check-steps`` steps, and exits with
status 1 if it is above ``--tolerance``. The two runs differ only in the order
of the floating-point sums over the batch (partial sums per device, then an
all-reduce), so early losses agree to a few float32 ulps. They do not stay
equal for ever: a spike is a step function, so once a rounding difference
moves a membrane potential across the threshold a spike flips and the runs
take different (equally good) paths. The difference over the whole run is
printed too, for information.

On a multi-GPU or TPU host the same command without ``XLA_FLAGS`` shards over
the accelerators that ``jax.devices()`` lists; nothing in the script changes.
Across hosts run the script once per host with ``--distributed``: it calls
``jax.distributed.initialize()`` before touching any device. On a Cloud TPU
pod slice, under SLURM, Open MPI or Kubernetes, JAX finds the coordinator and
the process ids itself; elsewhere pass ``--coordinator HOST:PORT
--num-processes N --process-id I``. The mesh then spans the devices of every
host; each process draws the same
shuffled global batch from the same seed, keeps its own contiguous rows, and
``jax.make_array_from_process_local_data`` assembles the global batch array
from the per-process pieces. The global batch size must divide evenly by the
number of devices.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for _digits
import _digits as digits  # noqa: E402
from _plots import pyplot  # noqa: E402
import _width as width  # noqa: E402

Params = dict[str, dict[str, jax.Array]]


def init_params(key: jax.Array, hidden: int, hidden_init: Any) -> Params:
    """Float32 weights, zero biases: the hidden layer's from ``hidden_init``, the
    readout's lecun normal (Flax's default)."""
    k_hidden, k_readout = jax.random.split(key)
    init = jax.nn.initializers.lecun_normal()
    f32 = jnp.float32
    return {
        "hidden": {"w": hidden_init(k_hidden, (digits.N_INPUTS, hidden), f32),
                   "b": jnp.zeros((hidden,), f32)},
        "readout": {"w": init(k_readout, (hidden, digits.N_CLASSES), f32),
                    "b": jnp.zeros((digits.N_CLASSES,), f32)},
    }


def forward(params: Params, images: jax.Array, key: jax.Array,
            cfg: digits.Config, step: Any = None) -> tuple[jax.Array, jax.Array]:
    """The shared SNN forward pass with plain-array affine layers."""
    h, r = params["hidden"], params["readout"]
    return digits.snn_forward(lambda x: x @ h["w"] + h["b"],
                              lambda x: x @ r["w"] + r["b"], images, key, cfg, step)


class Trainer:
    """Sharded train/eval steps over ``devices``, holding the state."""

    def __init__(self, devices: list[Any], args: argparse.Namespace,
                 cfg: digits.Config, hidden_init: Any):
        self.mesh = Mesh(np.asarray(devices), ("data",))
        self.batch = NamedSharding(self.mesh, P("data"))
        self.replicated = NamedSharding(self.mesh, P())
        if args.batch_size % len(devices):
            raise SystemExit(f"--batch-size {args.batch_size} does not divide "
                             f"over {len(devices)} devices")
        tx = optax.adam(args.lr)
        repl, batch = self.replicated, self.batch

        def init(key: jax.Array) -> tuple[Params, optax.OptState]:
            params = init_params(key, args.hidden, hidden_init)
            return params, tx.init(params)

        def train_step(params, opt_state, images, labels, key_bits, step):
            key = jax.random.wrap_key_data(key_bits)

            def loss_fn(p: Params) -> tuple[jax.Array, jax.Array]:
                logits, _ = forward(p, images, key, cfg, step[0])
                return digits.loss_and_accuracy(logits, labels)

            (loss, acc), grads = jax.value_and_grad(loss_fn,
                                                    has_aux=True)(params)
            updates, opt_state = tx.update(grads, opt_state, params)
            return optax.apply_updates(params, updates), opt_state, loss, acc

        def evaluate(params, images, labels, key_bits):
            key = jax.random.wrap_key_data(key_bits)
            logits, spikes = forward(params, images, key, cfg)
            return (digits.loss_and_accuracy(logits, labels)[1], spikes,
                    jnp.argmax(logits, axis=-1))

        def potentials(params, images, key_bits):
            h = params["hidden"]
            return digits.hidden_potentials(lambda x: x @ h["w"] + h["b"], images,
                                            jax.random.wrap_key_data(key_bits), cfg)

        # Initialised inside jit so that every process builds its replica
        # on its own devices (no host-to-global device_put).
        self.params, self.opt_state = jax.jit(init, out_shardings=repl)(
            jax.random.key(args.seed))
        # A single sharding stands for every leaf of the tree it is given for.
        self._step = jax.jit(
            train_step, in_shardings=(repl, repl, batch, batch, repl, repl),
            out_shardings=(repl, repl, repl, repl), donate_argnums=(0, 1))
        # The test set (450 digits) needn't divide over the devices:
        # evaluation runs replicated.
        self._evaluate = jax.jit(evaluate, in_shardings=(repl,) * 4,
                                 out_shardings=(repl, repl, repl))
        self._potentials = jax.jit(potentials, in_shardings=(repl,) * 3,
                                   out_shardings=repl)
        self.shard_shapes: list[tuple[int, ...]] = []

    def global_array(self, sharding: NamedSharding,
                     host_batch: np.ndarray) -> jax.Array:
        """This process's rows of a global batch, as the global array.

        Every process holds the same global batch (same seed) and hands over
        the rows its own devices hold under ``sharding``: all of them when
        replicated or with one process, a contiguous block otherwise
        (``jax.devices()`` lists each process's devices together).
        """
        n = host_batch.shape[0]
        index = sharding.addressable_devices_indices_map(host_batch.shape)
        rows = [idx[0].indices(n) for idx in index.values()]
        start, stop = min(r[0] for r in rows), max(r[1] for r in rows)
        return jax.make_array_from_process_local_data(
            sharding, host_batch[start:stop], host_batch.shape)

    def step(self, images: np.ndarray, labels: np.ndarray, key: jax.Array,
             step_number: np.ndarray) -> tuple[jax.Array, jax.Array]:
        x = self.global_array(self.batch, images)
        if not self.shard_shapes:
            # Evidence of the split: one (B / devices, 64) piece per device.
            self.shard_shapes = [tuple(s.data.shape)
                                 for s in x.addressable_shards]
        self.params, self.opt_state, loss, acc = self._step(
            self.params, self.opt_state, x,
            self.global_array(self.batch, labels), self.global_key(key),
            self.global_array(self.replicated, np.reshape(step_number, (1,))))
        return loss, acc

    def evaluate(self, images: np.ndarray, labels: np.ndarray,
                 key: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
        return self._evaluate(self.params,
                              self.global_array(self.replicated, images),
                              self.global_array(self.replicated, labels),
                              self.global_key(key))

    def potentials(self, images: np.ndarray, key: jax.Array) -> jax.Array:
        """The hidden layer's v - v_th (T, B, N), for --diagnose."""
        return self._potentials(self.params, self.global_array(self.replicated, images),
                                self.global_key(key))

    def global_key(self, key: jax.Array) -> jax.Array:
        """A key made on this process, as a replicated global array.

        A key lives on one local device, which a jit over a multi-host mesh
        can't take; its raw bits, the same on every process, can be
        assembled like any replicated host data.
        """
        bits = np.asarray(jax.random.key_data(key))
        return self.global_array(self.replicated, bits)


def train(args: argparse.Namespace, devices: list[Any],
          data: digits.Digits) -> dict[str, Any]:
    """Trains over ``devices``; returns the metrics of ``digits.fit``."""
    surrogate = digits.resolve_surrogate(args.surrogate, args.alpha)
    cfg = digits.Config(surrogate, args.steps, args.encoding,
                        width.alpha_schedule(args, surrogate, data),
                        policy=args.policy)
    trainer = Trainer(devices, args, cfg, digits.hidden_init(args, data))
    history = digits.fit(
        trainer.step, trainer.evaluate, data, **digits.fit_flags(args),
        desc=f"{len(devices)} device(s)",
        on_epoch=width.diagnosis(args, cfg, trainer.potentials, data))
    return {**digits.run_info(args, surrogate, data, "jax.sharding"),
            **history, "n_devices": len(devices),
            "batch_shard_shapes": trainer.shard_shapes}


def plot_comparison(sharded: dict[str, Any], single: dict[str, Any],
                    path: Path) -> None:
    """The sharded run beside the one-device run: step losses, epoch losses,
    test accuracy."""
    plt = pyplot()
    fig, (ax_step, ax_loss, ax_acc) = plt.subplots(1, 3, figsize=(13, 3.6))
    n = sharded["n_devices"]
    runs = ((f"sharded over {n} devices", sharded, "C0", "o", "-"),
            ("one device", single, "C1", "s", "--"))
    for label, m, color, marker, ls in runs:
        steps = np.arange(1, len(m["step_losses"]) + 1)
        ax_step.plot(steps, m["step_losses"], color=color, ls=ls, lw=1, label=label)
        epochs = np.arange(1, len(m["train_loss"]) + 1)
        ax_loss.plot(epochs, m["train_loss"], color=color, ls=ls, marker=marker,
                     label=label)
        ax_acc.plot(epochs, m["test_accuracy_per_epoch"], color=color, ls=ls,
                    marker=marker, label=label)
    ax_step.set(xlabel="step", ylabel="train loss", title="loss per step")
    ax_loss.set(xlabel="epoch", ylabel="train loss", title="loss per epoch")
    ax_acc.set(xlabel="epoch", ylabel="test accuracy", title="test accuracy",
               ylim=(0, 1))
    ax_acc.legend()
    fig.suptitle(f"jax.sharding SNN on digits, surrogate {sharded['surrogate']}: "
                 f"largest |sharded - single| step loss {sharded['max_abs_diff']:.2g} "
                 f"over the first {sharded['check_steps']} steps, "
                 f"{sharded['max_abs_diff_all_steps']:.2g} over all")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    ap = digits.parser(__doc__.splitlines()[0])
    ap.add_argument("--check-single-device", action="store_true",
                    help="also train on one device from the same seed, "
                         "compare the loss curves and plot both")
    ap.add_argument("--check-steps", type=int, default=5,
                    help="how many first steps must agree within tolerance")
    ap.add_argument("--tolerance", type=float, default=1e-5,
                    help="largest allowed |sharded - single| step loss")
    ap.add_argument("--distributed", action="store_true",
                    help="call jax.distributed.initialize() first (multi-host)")
    ap.add_argument("--coordinator", default=None,
                    help="with --distributed: HOST:PORT of process 0, where "
                         "the cluster can't be detected")
    ap.add_argument("--num-processes", type=int, default=None,
                    help="with --distributed: how many processes, where the "
                         "cluster can't be detected")
    ap.add_argument("--process-id", type=int, default=None,
                    help="with --distributed: this process's index, from 0, "
                         "where the cluster can't be detected")
    args = ap.parse_args(argv)
    if args.distributed:
        # None lets JAX detect the cluster (TPU pod, SLURM, Open MPI, k8s).
        jax.distributed.initialize(args.coordinator, args.num_processes,
                                   args.process_id)
    digits.resolve_surrogate(args.surrogate, args.alpha)  # fails fast
    start = time.perf_counter()
    data = digits.load_digits(args.limit)
    devices = jax.devices()
    print(f"{len(devices)} device(s) over {jax.process_count()} process(es): "
          f"{', '.join(str(d) for d in devices)}")
    metrics = train(args, devices, data)
    print(digits.summary(metrics))
    ok = True
    single = None
    if args.check_single_device:
        # This process's first device: with several processes each one
        # trains its own one-device reference.
        single = train(args, jax.local_devices()[:1], data)
        diffs = np.abs(np.subtract(metrics["step_losses"],
                                   single["step_losses"]))
        early = float(np.max(diffs[:args.check_steps]))
        ok = early <= args.tolerance
        metrics["single_device_train_loss"] = single["train_loss"]
        metrics["single_device_step_losses"] = single["step_losses"]
        metrics["single_device_test_accuracy_per_epoch"] = single[
            "test_accuracy_per_epoch"]
        metrics["single_device_test_accuracy"] = single["test_accuracy"]
        metrics["check_steps"] = args.check_steps
        metrics["max_abs_diff"] = early
        metrics["max_abs_diff_all_steps"] = float(np.max(diffs))
        print("epoch  sharded loss  single-device loss")
        for e, (a, b) in enumerate(zip(metrics["train_loss"],
                                       single["train_loss"]), 1):
            print(f"{e:5d}  {a:12.8f}  {b:18.8f}")
        print(f"max |sharded - single| over the first "
              f"{min(args.check_steps, len(diffs))} steps: {early:.3g} "
              f"(tolerance {args.tolerance:g}): {'OK' if ok else 'MISMATCH'}")
        print(f"max |sharded - single| over all {len(diffs)} steps: "
              f"{float(np.max(diffs)):.3g} (runs part once a rounding "
              f"difference flips a spike)")
    if jax.process_index() == 0:
        digits.write_outputs(args.out, metrics, data)
        if args.out is not None and single is not None:
            plot_comparison(metrics, single, args.out / "learning_curves.png")
    print(f"total wall time {time.perf_counter() - start:.1f} s")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
