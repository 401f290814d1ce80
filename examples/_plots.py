"""Plots of the digits examples: learning curves and a spike raster.

matplotlib is imported only when plotting, with the file-only Agg backend.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only; no display needed
    import matplotlib.pyplot as plt

    return plt


def plot_learning_curves(metrics: dict[str, Any], path: Path) -> None:
    """Train loss, and train/test accuracy, per epoch."""
    plt = pyplot()
    epochs = np.arange(1, len(metrics["train_loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.5))
    ax_loss.plot(epochs, metrics["train_loss"], marker="o")
    ax_loss.set(xlabel="epoch", ylabel="train loss", title="loss")
    ax_acc.plot(epochs, metrics["train_accuracy"], marker="o", label="train")
    ax_acc.plot(epochs, metrics["test_accuracy_per_epoch"], marker="s",
                label="test")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy",
               ylim=(0, 1))
    ax_acc.legend()
    fig.suptitle(f"{metrics.get('framework', '')} SNN on digits, "
                 f"surrogate {metrics.get('surrogate', '')}")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_raster(spikes: np.ndarray, image: np.ndarray, label: int,
                path: Path, surrogate: str = "", alpha: float | None = None,
                predicted: int | None = None) -> None:
    """Hidden-layer spikes (T, H) of one digit, next to the digit.

    The title names the surrogate and its alpha, and the class the network
    predicted for the digit (where known).
    """
    plt = pyplot()
    fig, (ax_img, ax_r) = plt.subplots(
        1, 2, figsize=(9, 3.5), gridspec_kw={"width_ratios": [1, 3]})
    ax_img.imshow(np.reshape(image, (8, 8)), cmap="gray_r")
    guess = "" if predicted is None else f"\npredicted {predicted}"
    ax_img.set(title=f"test digit, label {label}{guess}", xticks=[], yticks=[])
    t, neuron = np.nonzero(np.asarray(spikes))
    ax_r.scatter(t, neuron, marker="|", s=20, color="black")
    ax_r.set(xlabel="time step", ylabel="hidden neuron",
             xlim=(-0.5, spikes.shape[0] - 0.5), ylim=(-1, spikes.shape[1]),
             title=f"hidden spikes ({int(spikes.sum())} in total)")
    fig.suptitle(f"surrogate {surrogate}"
                 + ("" if alpha is None else f", alpha {alpha:g}"))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
