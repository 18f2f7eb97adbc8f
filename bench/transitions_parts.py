"""What each part added since the fire was last tuned costs per fire (`bench/transitions.py --parts`).

* the history's hash chain: the raw psycopg transaction with the `history_chain` trigger (which locks
  the cycle's row, reads the previous row's hash and computes the new one with SHA-256) against the
  same transaction with the trigger disabled, in the scratch database only, rounds alternating;
* the outbox's clock trigger, the same way;
* the keyed seal (`CYCLE_AUDIT_KEY_FILE`): `Sealer.seal` of a fire's history row, in this process;
* a refused fire: `Engine.fire` of a trigger not allowed from the stage (rolled back, then counted in
  `refusal_counts` in a transaction of its own) against an accepted one; an accepted fire counts nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg

from bench.harness import median
from bench.transitions_loop import LOOP_ACTOR, Loop, RawPsycopg
from bench.transitions_measure import Sample, measure, per_op_us
from workflow.errors import CycleError
from workflow.store.audit_seal import Sealer


@dataclass(frozen=True)
class Part:
    name: str
    with_us: float  # wall microseconds per operation with the part
    without_us: float  # and without it
    note: str


def _toggle(driver: psycopg.Connection[Any], table: str, trigger: str, on: bool) -> None:
    driver.execute(f"ALTER TABLE {table} {'ENABLE' if on else 'DISABLE'} TRIGGER {trigger}")
    driver.commit()


def _alternate(rounds: int, ops: int, work: Callable[[int], Callable[[], None]],
               toggle: Callable[[bool], None], pid: int) -> tuple[list[Sample], list[Sample]]:
    on: list[Sample] = []
    off: list[Sample] = []
    try:
        for _ in range(rounds):
            toggle(True)
            on.append(measure(ops, work(ops), pid))
            toggle(False)
            off.append(measure(ops, work(ops), pid))
    finally:
        toggle(True)
    return on, off


def _wall(samples: list[Sample]) -> float:
    return median([s.wall / s.ops * 1e6 for s in samples])


def measure_parts(loop: Loop, raw: RawPsycopg, rounds: int, ops: int) -> list[Part]:
    parts = []
    for table, trigger, name in (("history", "history_chain", "history hash chain trigger"),
                                 ("outbox", "outbox_clock", "outbox clock trigger")):
        on, off = _alternate(rounds, ops, lambda n: loop.raw_transactions(raw, n),
                             lambda state, t=table, g=trigger: _toggle(raw.driver, t, g, state), raw.pid)
        server_on, server_off = per_op_us(on, "server_cpu"), per_op_us(off, "server_cpu")
        note = "" if server_on is None or server_off is None else \
            f"database CPU {server_on:,.0f} against {server_off:,.0f} us"
        parts.append(Part(f"{name} (raw psycopg transaction)", _wall(on), _wall(off), note))

    sealer = Sealer(b"k" * 32)
    row = {"at": dt.datetime.now(dt.UTC), "actor": LOOP_ACTOR, "action": "fire", "trigger": "go", "strand": None,
           "from_state": "ping", "to_state": "pong", "comment": None, "data": {"via": "token 1"}}
    n = 2000
    seal_us = min(timeit.repeat(lambda: sealer.seal(1, row), number=n, repeat=5)) / n * 1e6
    parts.append(Part("keyed seal of the history row (in process, only with an audit key)", seal_us, 0.0, ""))

    engine = loop.app.engine
    key = loop.keys[0]

    def refused(count: int) -> Callable[[], None]:
        def work() -> None:
            for _ in range(count):
                with contextlib.suppress(CycleError):
                    engine.fire(key, "no_such_trigger", LOOP_ACTOR)
        return work

    refusals = [measure(ops, refused(ops)) for _ in range(rounds)]
    accepted = [measure(ops, loop.engine_fires(ops)) for _ in range(rounds)]
    parts.append(Part("refused fire, counted (against an accepted fire)", _wall(refusals), _wall(accepted),
                      "an accepted fire writes no count"))
    return parts


def report_parts(parts: list[Part]) -> None:
    print("\nWhat each part costs per operation (wall microseconds, medians of alternating rounds)")
    print(f"  {'part':<68} {'with':>7} {'without':>8} {'adds':>7}")
    for p in parts:
        print(f"  {p.name:<68} {p.with_us:>7,.0f} {p.without_us:>8,.0f} {p.with_us - p.without_us:>7,.0f}"
              f"  {p.note}")
