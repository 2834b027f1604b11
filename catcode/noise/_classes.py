"""Rules evaluated once per noise class, their output copied to the class (issue 15).

A model that declares :meth:`~catcode.noise.model.NoiseModel.noise_labels` gives the same noise to
qubits (CX pairs) with the same label. The pass then reduces each operation to one representative
group (qubit or pair) per label (:func:`reduce_groups`), calls the rule on the reduced operation,
and copies every instruction the rule built with :func:`~catcode.noise.model.grouped` from the
representatives to the members of their class (:func:`expand`), in the exact order ``grouped``
gives the full operation: target groups sorted, instructions of one call sorted by first target.
Anything that cannot be copied exactly returns ``None`` and the pass evaluates the layer qubit by
qubit.

>>> red = reduce_groups([(0,), (1,), (2,), (3,)], lambda group: "abab"[group[0]])
>>> red.reps, red.members
(((0,), (1,)), (((0,), (2,)), ((1,), (3,))))
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

import stim


@dataclass(frozen=True)
class Reduction:
    """One representative group per label, in order of first appearance, and each one's class.

    ``where[q]`` is ``(class index, position of q in its representative group)``.
    """

    reps: tuple[tuple[int, ...], ...]
    members: tuple[tuple[tuple[int, ...], ...], ...]
    where: dict[int, tuple[int, int]]
    copies: dict = field(default_factory=dict, compare=False, repr=False)  # memo of :func:`_copied`

    @property
    def targets(self) -> tuple[int, ...]:
        """The representatives' targets, flattened (the reduced operation's targets)."""
        return tuple(q for group in self.reps for q in group)


def reduce_groups(groups: Sequence[tuple[int, ...]], label: Callable[[tuple[int, ...]], Hashable]) -> Reduction:
    """Group ``groups`` by ``label``; a label of ``None`` is a class of its own."""
    index: dict = {}
    classes: list[list[tuple[int, ...]]] = []
    for group in groups:
        key = label(group)
        k = index.get(key) if key is not None else None
        if k is None:
            k = len(classes)
            if key is not None:
                index[key] = k
            classes.append([])
        classes[k].append(group)
    reps = tuple(c[0] for c in classes)
    where = {q: (k, j) for k, rep in enumerate(reps) for j, q in enumerate(rep)}
    return Reduction(reps, tuple(map(tuple, classes)), where)


def expand(instructions: Sequence[stim.CircuitInstruction], log: list, red: Reduction) -> list[tuple[stim.CircuitInstruction, Copy]] | None:
    """Each instruction with its targets copied to the classes, or ``None`` if not exactly possible.

    ``log`` is what :func:`~catcode.noise.model.grouped` recorded while the rule ran on the
    representatives. Returns ``(instruction, its full targets)`` in the order the full rule would
    give.
    """
    if not instructions:
        return []
    record: dict[int, tuple[int, list]] = {}
    for inst, call, groups in log:
        if id(inst) in record:  # one instruction object from two calls: order ambiguous
            return None
        record[id(inst)] = (call, groups)
    out: list[tuple[stim.CircuitInstruction, list[int]]] = []
    run: list[tuple[int, stim.CircuitInstruction, list[int]]] = []
    done: set[int] = set()
    call = None
    for inst in instructions:
        rec = record.get(id(inst))
        if rec is None:
            return None
        if rec[0] != call:
            if rec[0] in done or not _flush(run, out):
                return None
            if call is not None:
                done.add(call)
            call, run = rec[0], []
        key = tuple(rec[1])
        full = red.copies.get(key)
        if full is None:
            full = red.copies[key] = _copied(rec[1], red)
        if full is False:
            return None
        run.append((full.targets[0], inst, full))
    return out if _flush(run, out) else None


@dataclass(frozen=True)
class Copy:
    """The full targets of one copied instruction, and their Stim text."""

    targets: list[int]
    text: str


def _copied(groups: list[tuple[int, ...]], red: Reduction) -> Copy | bool:
    """The representatives' target ``groups`` copied to every member of their classes, sorted
    (``False`` if a group spans representatives or holds a qubit outside the operation)."""
    full: list[tuple[int, ...]] = []
    for group in groups:
        spots = [red.where.get(q) for q in group]
        if None in spots or len({k for k, _ in spots}) != 1:
            return False
        members = red.members[spots[0][0]]
        if len(group) == 1:
            j = spots[0][1]
            full.extend((m[j],) for m in members)
        else:
            full.extend(tuple(m[j] for _, j in spots) for m in members)
    full.sort()
    targets = [q for group in full for q in group]
    return Copy(targets, " ".join(map(str, targets)))


def _flush(run: list, out: list) -> bool:
    """Append one ``grouped`` call's instructions in its order (first target); ``False`` on a tie."""
    run.sort(key=lambda r: r[0])
    if any(a[0] == b[0] for a, b in zip(run, run[1:])):
        return False
    out.extend((inst, targets) for _, inst, targets in run)
    return True
