"""Which perturbations to make: every coordinate (the default), or directions per tensor.

A direction plan draws k tangents per parameter tensor, each supported on that tensor only
(or on a group of its elements, when localising), so a failure still names the tensor:
v_i = z_i * scale_i with z standard normal (unit RMS over the tensor), and theta +/- h v
moves every element by about h times its own scale. Unscaled plans (``scaled=False``) take
v = z and a step per tensor (its typical magnitude times eps^(1/3)), so that the measured
projection is the error's own projection e . z, which the directional mode's bound needs.
Random directions are not stored at all: each is the generator's state before it was drawn,
regenerated a piece at a time when a point is moved along it (never a dense (directions, n)
matrix, nor k x a tensor's size). Probes are named like parameters,
``W1·v[j]`` for the j-th direction of W1.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from .chunks import chunked_sum
from .flatten import ParameterVector, Slot
from .settings import Settings
from .steps import Step, element_scales, typical_magnitude
from .steptable import Column, StepTable

MOVED_AT_ONCE = 1 << 15  # coordinates of a point moved at once


@dataclass(frozen=True)
class Block:
    """Directions supported on some coordinates of theta: ``z`` (k, len(coordinates))."""

    coordinates: np.ndarray | slice  # absolute coordinates of theta (a slice for a tensor)
    z: np.ndarray

    @property
    def count(self) -> int:
        return self.z.shape[0]

    def row(self, r: int) -> np.ndarray:
        """Direction r on its support."""
        return self.z[r]

    def pieces(self, r: int) -> Iterator[tuple[int, np.ndarray]]:
        """Direction r on its support, MOVED_AT_ONCE values at a time: (first index, piece)."""
        for low in range(0, self.z.shape[1], MOVED_AT_ONCE):
            yield low, self.z[r, low : low + MOVED_AT_ONCE]


class DrawnBlock:
    """k standard normal directions on one tensor, unit RMS, optionally times each
    element's scale, kept as the generator's state before each was drawn and regenerated
    a piece at a time when read: k x the tensor's size would otherwise be held for the
    whole check (3 x theta for a model that is mostly one tensor).

    The normals are drawn exactly as ``rng.standard_normal((k, size))`` draws them (a
    Generator's stream does not depend on how it is split), so a direction reads the same
    bits whether it is drawn whole or regenerated.
    """

    def __init__(
        self, coordinates: slice, k: int, rng: np.random.Generator, scales: np.ndarray | None
    ) -> None:
        self.coordinates, self.count, self.scales = coordinates, k, scales
        self.size = coordinates.stop - coordinates.start
        self._states, self._rms = [], []
        every = slice(0, self.size)
        for _ in range(k):
            self._states.append(copy.deepcopy(rng.bit_generator.state))
            squares = chunked_sum(
                lambda part: rng.standard_normal(part.stop - part.start) ** 2, every
            )
            self._rms.append(np.sqrt(squares / self.size))
        self._bit_generator = type(rng.bit_generator)

    def pieces(self, r: int) -> Iterator[tuple[int, np.ndarray]]:
        rng = np.random.Generator(self._bit_generator())
        rng.bit_generator.state = self._states[r]
        for low in range(0, self.size, MOVED_AT_ONCE):
            piece = rng.standard_normal(min(self.size, low + MOVED_AT_ONCE) - low)
            piece /= self._rms[r]
            if self.scales is not None:
                piece *= self.scales[low : low + piece.size]
            yield low, piece

    def row(self, r: int) -> np.ndarray:
        out = np.empty(self.size)
        for low, piece in self.pieces(r):
            out[low : low + piece.size] = piece
        return out


class Directions:
    """Tangent directions stored block by block: row j of the (count, n) matrix on demand.

    ``project(matrix)`` is matrix @ V.T without forming V; ``rows(index)`` builds the
    dense rows asked for (the measuring stage asks a few at a time).
    """

    def __init__(self, n: int, blocks: Sequence[Block | DrawnBlock]) -> None:
        self.n, self.blocks = n, tuple(blocks)
        sizes = [b.count for b in self.blocks]
        self.owner = np.repeat(np.arange(len(sizes)), sizes)  # block of each direction
        self.first = np.concatenate([[0], np.cumsum(sizes)])[:-1].astype(int)
        self.count = int(sum(sizes))

    @property
    def shape(self) -> tuple[int, int]:
        return (self.count, self.n)

    def __len__(self) -> int:
        return self.count

    def rows(self, index: np.ndarray | Sequence[int]) -> np.ndarray:
        """The dense directions ``index`` as an array (len(index), n)."""
        index = np.atleast_1d(np.asarray(index, dtype=int))
        out = np.zeros((index.size, self.n))
        for k, j in enumerate(index):
            block = self.blocks[self.owner[j]]
            out[k, block.coordinates] = block.row(j - self.first[self.owner[j]])
        return out

    def move(self, j: int, step: float, out: np.ndarray) -> np.ndarray:
        """out += step v_j in place, on v_j's support alone, a chunk at a time: no dense
        direction, no temporary the size of theta (``out`` holds theta: the point)."""
        block = self.blocks[self.owner[j]]
        r, where = j - self.first[self.owner[j]], block.coordinates
        if not isinstance(where, slice):
            out[where] += step * block.row(r)
            return out
        for low, piece in block.pieces(r):
            out[where.start + low : where.start + low + piece.size] += step * piece
        return out

    def __iter__(self) -> Iterator[np.ndarray]:
        for j in range(self.count):
            yield self.rows([j])[0]

    def project(self, matrix: np.ndarray) -> np.ndarray:
        """matrix @ V.T for a (m, n) matrix: (m, count), block by block."""
        matrix = np.asarray(matrix)
        out = np.empty((matrix.shape[0], self.count), dtype=np.result_type(matrix, float))
        for b, block in enumerate(self.blocks):
            start = self.first[b]
            on = matrix[:, block.coordinates]
            for r in range(block.count):
                if not isinstance(block.coordinates, slice):
                    out[:, start + r] = on @ block.row(r)
                    continue
                out[:, start + r] = 0.0  # a piece of the direction at a time
                for low, piece in block.pieces(r):
                    out[:, start + r] += on[:, low : low + piece.size] @ piece
        return out

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        dense = self.rows(np.arange(self.count))
        return dense if dtype is None else dense.astype(dtype)

    def __matmul__(self, other: np.ndarray) -> np.ndarray:
        return np.asarray(self) @ other

    @property
    def T(self) -> np.ndarray:
        return np.asarray(self).T


def as_directions(matrix: Directions | np.ndarray) -> Directions:
    """Directions as they are, or a dense (count, n) matrix as one block."""
    if isinstance(matrix, Directions):
        return matrix
    matrix = np.atleast_2d(np.asarray(matrix, dtype=np.float64))
    return Directions(matrix.shape[1], [Block(slice(0, matrix.shape[1]), matrix)])


@dataclass(frozen=True)
class DirectionPlan:
    """k random tangents per tensor: their directions, steps and names."""

    directions: Directions
    steps: np.ndarray  # (directions,) the step along each
    probes: ParameterVector  # one pseudo-parameter per tensor, its elements the directions

    @property
    def matrix(self) -> np.ndarray:
        """The dense (directions, n) matrix (small problems and tests only)."""
        return np.asarray(self.directions)

    @property
    def step(self) -> float:
        return float(self.steps[0])


def random_directions(
    vector: ParameterVector,
    per_tensor: int,
    h: Step,
    rng: np.random.Generator,
    order: int = 2,
    eps: float = float(np.finfo(np.float64).eps),
    scaled: bool = True,
) -> DirectionPlan:
    """Draw ``per_tensor`` directions for each tensor from the private generator ``rng``.

    The automatic step is eps ** (1 / (order + 1)), as for coordinates, for the scheme's
    ``order`` and the precision ``eps`` the function computes in (float32's cube root is
    800 times float64's: a float32 function differenced at float64's step is all rounding);
    unscaled, times the tensor's typical magnitude.
    """
    scales = element_scales(vector, eps) if scaled else None
    blocks, slots, steps = [], [], []
    base = h.value if h.kind in ("absolute", "relative") else eps ** (1 / (order + 1))
    for index, slot in enumerate(vector.slots):
        times = scales[slot.offset : slot.stop] if h.kind != "absolute" and scaled else None
        blocks.append(DrawnBlock(slice(slot.offset, slot.stop), per_tensor, rng, times))
        magnitude = 1.0
        if not scaled and h.kind != "absolute":
            magnitude = typical_magnitude(vector.theta[slot.offset : slot.stop]) or 1.0
        steps += [base * magnitude] * per_tensor
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
    count = per_tensor * len(vector.slots)
    probes = ParameterVector(np.zeros(count), tuple(slots), None)
    return DirectionPlan(Directions(vector.size, blocks), np.array(steps, float), probes)


@dataclass(frozen=True)
class Plan:
    """What a check perturbs: every coordinate of theta, or directions.

    Row i of every later array is probe i: theta_i, or direction i (of ``matrix``).
    """

    probes: ParameterVector  # the probes' names: theta's own, or W1·v[j] per tensor
    steps: np.ndarray  # (probes,) the nominal step of each
    matrix: Directions | None  # the directions, or None for the coordinates
    notes: tuple[str, ...] = ()
    scales: np.ndarray | Column | None = None  # (n,) each coordinate's scale
    table: StepTable | None = None  # for the coordinates: their scales and steps, as computed


def plan_probes(
    vector: ParameterVector,
    table: StepTable,
    eps: np.ndarray,
    directions: int | Callable[..., DirectionPlan] | None,
    settings: Settings,
    rng: np.random.Generator,
) -> Plan:
    """Every coordinate at its step in ``table`` (``directions`` None), ``directions``
    random tangents per tensor drawn from ``rng``, the check's generator (``eps``: the
    precision each coordinate is evaluated in), or the plan a caller's ``directions(vector,
    eps, rng)`` builds (the localising and sampling modes)."""
    if directions is None:
        return Plan(vector, table.nominal, None, scales=table.scales, table=table)
    if callable(directions):
        built = directions(vector, float(np.max(eps)), rng)
        return Plan(built.probes, built.steps, built.directions)
    order = settings.scheme.order
    plan = random_directions(vector, directions, settings.h, rng, order, float(np.max(eps)))
    note = f"{directions} random direction(s) per parameter, seed {settings.seed}"
    return Plan(plan.probes, plan.steps, plan.directions, (note,))
