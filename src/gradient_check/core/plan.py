"""Which perturbations to make: every coordinate (the default), or random directions.

A direction plan draws k tangents per parameter tensor, each supported on that tensor only,
so a failure still names the tensor: v_i = z_i * scale_i with z standard normal (unit RMS
over the tensor), and theta +/- h v moves every element by about h times its own scale.
Its probes are named like parameters, ``W1·v[j]`` for the j-th direction of W1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .flatten import ParameterVector, Slot
from .settings import Settings
from .steps import Step, element_scales


@dataclass(frozen=True)
class DirectionPlan:
    """k random tangents per tensor: their matrix (directions, n), step and names."""

    matrix: np.ndarray
    step: float
    probes: ParameterVector  # one pseudo-parameter per tensor, its elements the directions


def random_directions(
    vector: ParameterVector,
    per_tensor: int,
    h: Step,
    rng: np.random.Generator,
    order: int = 2,
    eps: float = float(np.finfo(np.float64).eps),
) -> DirectionPlan:
    """Draw ``per_tensor`` directions for each tensor from the private generator ``rng``.

    The automatic step is eps ** (1 / (order + 1)), as for coordinates, for the scheme's
    ``order`` and the precision ``eps`` the function computes in (float32's cube root is
    800 times float64's: a float32 function differenced at float64's step is all rounding).
    """
    scales = element_scales(vector, eps)
    rows, slots = [], []
    for index, slot in enumerate(vector.slots):
        for _ in range(per_tensor):
            z = np.zeros(vector.size)
            block = rng.standard_normal(slot.size)
            block /= np.sqrt(np.mean(block**2))
            if h.kind != "absolute":
                block *= scales[slot.offset : slot.stop]
            z[slot.offset : slot.stop] = block
            rows.append(z)
        slots.append(
            Slot(
                f"{slot.name}·v",
                slot.path,
                (per_tensor,),
                np.dtype(np.float64),
                index * per_tensor,
                per_tensor,
            )
        )
    step = h.value if h.kind in ("absolute", "relative") else eps ** (1 / (order + 1))
    probes = ParameterVector(np.zeros(len(rows)), tuple(slots), None)
    return DirectionPlan(np.array(rows), float(step), probes)


@dataclass(frozen=True)
class Plan:
    """What a check perturbs: every coordinate of theta, or random directions.

    Row i of every later array is probe i: theta_i, or direction i (a row of ``matrix``).
    """

    probes: ParameterVector  # the probes' names: theta's own, or W1·v[j] per tensor
    steps: np.ndarray  # (probes,) the nominal step of each
    matrix: np.ndarray | None  # (directions, n), or None for the coordinates
    notes: tuple[str, ...] = ()
    scales: np.ndarray | None = None  # (n,) each coordinate's scale (steps.element_scales)


def plan_probes(
    vector: ParameterVector,
    steps: np.ndarray,
    eps: np.ndarray,
    directions: int | None,
    settings: Settings,
    rng: np.random.Generator,
) -> Plan:
    """Every coordinate at its step ``steps`` (``directions`` None), or ``directions`` random
    tangents per tensor drawn from ``rng``, the check's generator (``eps``: the precision
    each coordinate is evaluated in)."""
    if directions is None:
        return Plan(vector, steps, None, scales=element_scales(vector, eps))
    order = settings.scheme.order
    plan = random_directions(vector, directions, settings.h, rng, order, float(np.max(eps)))
    note = f"{directions} random direction(s) per parameter, seed {settings.seed}"
    return Plan(plan.probes, np.full(plan.matrix.shape[0], plan.step), plan.matrix, (note,))
