"""Long fuzzing run over every importer, the transcript parsers and the dataset reader.

    .venv/bin/python bench/fuzz_long.py                      # 60 s per target
    FUZZ_SECONDS=90 FUZZ_MAX_EXAMPLES=100000 .venv/bin/python bench/fuzz_long.py [TARGET ...]
    FUZZ_SEED=3 ...                                           # another deterministic stream

Uses the strategies of ``tests/reliability/fuzz_targets.py``. Unlike the bounded CI test, a crash
does not stop the run: each distinct crash (exception type + innermost miroir frame) is counted,
with the first input that caused it, and the run goes on. Prints one line per target and a JSON
summary (``--json PATH`` to save it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from tests.reliability.fuzz_targets import TARGETS, Target, run_target  # noqa: E402


@dataclass
class Crash:
    signature: str
    count: int
    first_input: str
    traceback_tail: str


@dataclass
class TargetRun:
    target: str
    inputs: int = 0
    ok: int = 0
    refused: int = 0
    seconds: float = 0.0
    crashes: dict[str, Crash] = field(default_factory=dict)


class _TimeUp(Exception):
    pass


def _signature(exc: BaseException) -> tuple[str, str]:
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/miroir/" in f.filename.replace("\\", "/")]
    where = ours[-1] if ours else (frames[-1] if frames else None)
    loc = f"{Path(where.filename).name}:{where.lineno} in {where.name}" if where else "?"
    tail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-6:])
    return f"{type(exc).__name__} at {loc}", tail


def fuzz(target: Target, seconds: float, max_examples: int, fuzz_seed: int) -> TargetRun:
    run = TargetRun(target.name)
    deadline = time.monotonic() + seconds
    start = time.monotonic()

    @seed(fuzz_seed)
    @settings(max_examples=max_examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def one(data: st.DataObject) -> None:
        value: Any = data.draw(target.strategy)
        if time.monotonic() > deadline:  # after the draw, so a replay draws the same way
            raise _TimeUp
        run.inputs += 1
        try:
            outcome = run_target(target, value)
        except Exception as exc:  # noqa: BLE001 - a crash is what we are counting
            sig, tail = _signature(exc)
            if sig in run.crashes:
                run.crashes[sig].count += 1
            else:
                run.crashes[sig] = Crash(sig, 1, repr(value)[:600], tail)
            return
        if outcome == "ok":
            run.ok += 1
        else:
            run.refused += 1

    with contextlib.suppress(_TimeUp):
        one()
    run.seconds = round(time.monotonic() - start, 1)
    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("targets", nargs="*", default=sorted(TARGETS), help=f"any of {', '.join(sorted(TARGETS))}")
    ap.add_argument("--json", type=Path, help="write the summary here")
    a = ap.parse_args()
    seconds = float(os.environ.get("FUZZ_SECONDS", "60"))
    max_examples = int(os.environ.get("FUZZ_MAX_EXAMPLES", "1000000"))
    fuzz_seed = int(os.environ.get("FUZZ_SEED", "0"))
    runs = []
    for name in a.targets:
        r = fuzz(TARGETS[name], seconds, max_examples, fuzz_seed)
        runs.append(r)
        print(f"{name:12} {r.inputs:7d} inputs in {r.seconds:6.1f} s: {r.ok} parsed, {r.refused} refused with a "
              f"MiroirError, {len(r.crashes)} distinct crash(es) ({sum(c.count for c in r.crashes.values())} inputs)",
              flush=True)
        for c in r.crashes.values():
            print(f"    CRASH {c.signature} x{c.count}\n      first input: {c.first_input[:300]}", flush=True)
    total = sum(r.inputs for r in runs)
    crashes = sum(len(r.crashes) for r in runs)
    print(f"total: {total} inputs, {crashes} distinct crash(es)")
    if a.json:
        a.json.write_text(json.dumps([asdict(r) for r in runs], indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
