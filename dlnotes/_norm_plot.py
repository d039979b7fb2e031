"""The N-C-H-W cube figure of the normalisation layers (after Wu & He 2018, Fig. 2).

The feature map of a batch is drawn as a cube with axes N (batch), C (channels) and
H·W (spatial positions flattened into one axis).  The cells that share *one* mean and
variance are coloured; every other group of the same shape gets its own statistics.
"""
from __future__ import annotations

import numpy as np

from ._validate import check_choice, check_int

KINDS = ("batch", "layer", "instance", "group", "lrn")
_TITLES = {"batch": "Batch norm", "layer": "Layer norm", "instance": "Instance norm",
           "group": "Group norm", "lrn": "LRN (one window)"}


def reduced_axes_mask(kind, shape=(4, 6, 5), num_groups=3, size=3):
    """Which cells of an ``(N, C, H·W)`` cube share the statistic of the first cell.

    Parameters
    ----------
    kind : {"batch", "layer", "instance", "group", "lrn"}
    shape : tuple of 3 ints
        ``(N, C, HW)`` of the cube.
    num_groups : int
        Groups for ``kind="group"`` (must divide ``C``).
    size : int
        Channel window for ``kind="lrn"`` (one position of one sample, centred on channel ``C//2``).

    Returns
    -------
    ndarray of bool, shape (N, C, HW)
        True where the cell is reduced together with cell ``(0, 0, 0)`` (for LRN: the
        window around channel ``C//2`` at position 0 of sample 0).
    """
    check_choice("kind", kind, KINDS)
    n, c, hw = (check_int("shape[i]", s, 1) for s in shape)
    mask = np.zeros((n, c, hw), dtype=bool)
    if kind == "batch":
        mask[:, 0, :] = True                     # one channel, every sample and position
    elif kind == "layer":
        mask[0, :, :] = True                     # one sample, every channel and position
    elif kind == "instance":
        mask[0, 0, :] = True                     # one sample, one channel
    elif kind == "group":
        g = check_int("num_groups", num_groups, 1)
        if c % g:
            raise ValueError(f"num_groups={g} must divide the cube's C={c}")
        mask[0, :c // g, :] = True               # one sample, one group of channels
    else:
        s = check_int("size", size, 1)
        mid = c // 2
        mask[0, max(0, mid - s // 2):min(c, mid + (s - 1) // 2 + 1), 0] = True
    return mask


def draw_norm_cube(kind, ax=None, shape=(4, 6, 5), num_groups=3, size=3, color="tab:blue"):
    """Draw the N-C-(H·W) cube with the cells normalised together highlighted.

    Parameters
    ----------
    kind : {"batch", "layer", "instance", "group", "lrn"}
    ax : mpl_toolkits.mplot3d.Axes3D, optional
        A 3-D axes (``projection="3d"``); a new small figure is made when None.
    shape, num_groups, size
        As :func:`reduced_axes_mask`.
    color : str
        Colour of the highlighted cells.

    Returns
    -------
    Axes3D
    """
    import matplotlib.pyplot as plt

    mask = reduced_axes_mask(kind, shape, num_groups, size)
    if ax is None:
        fig = plt.figure(figsize=(3, 3))
        ax = fig.add_subplot(projection="3d")
    # voxel axes as in the GN paper: x = C, y = N, z = H·W (upwards); sample 0 and
    # channel 0 sit on the two faces turned towards the viewer.
    order = mask.transpose(1, 0, 2)[:, :, ::-1]                     # (C, N, HW), position 0 on top
    filled = np.ones(order.shape, dtype=bool)
    colors = np.empty(order.shape, dtype=object)
    colors[:] = "#e8e8e8"
    colors[order] = color
    ax.voxels(filled, facecolors=colors, edgecolor="#555555", linewidth=0.3)
    n, c, hw = mask.shape
    ax.set_xlabel("C", labelpad=-12)
    ax.set_ylabel("N", labelpad=-12)
    ax.set_zlabel("H, W", labelpad=-12)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_zticks([])
    ax.set_box_aspect((c, n, hw))
    ax.view_init(elev=22, azim=-130)
    title = _TITLES[kind] + (f" (G={num_groups})" if kind == "group" else "")
    ax.set_title(title, fontsize=10)
    return ax
