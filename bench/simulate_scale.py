"""Time and peak memory of `simulate` at several scales, each in a fresh process.

Usage: python bench/simulate_scale.py [SCALE ...]   (default: 1 25)
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from miroir.simulate import simulate
scale, lang, out = float(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
t0 = time.perf_counter()
res = simulate(out / "dataset", lang=lang, seed=0, scale=scale)
wall = time.perf_counter() - t0
cpu = time.process_time()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"scale": scale, "lang": lang, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
                  "peak_rss_mb": round(peak), **res.counts}))
"""


def main() -> None:
    scales = [float(s) for s in sys.argv[1:]] or [1.0, 25.0]
    for scale in scales:
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run([sys.executable, "-c", CHILD, str(scale), "fr", tmp], check=True,
                                 capture_output=True, text=True).stdout
            print(json.dumps(json.loads(out.strip().splitlines()[-1])))


if __name__ == "__main__":
    main()
