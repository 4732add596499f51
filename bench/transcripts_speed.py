"""Transcript parser throughput: turns/s and peak memory per format.

Usage::

    .venv/bin/python bench/transcripts_speed.py [--turns 1000000] [--formats vtt,srt,txt,json,gong]

For each format a transcript of N turns (alternating speakers, so cues = turns)
is written to a temporary folder, then parsed in a fresh subprocess with
``parse_transcript_file``; the subprocess reports the parse time and its peak
resident memory (``ru_maxrss``, which includes the file's bytes, the decoded
text and the resulting ``Turn`` list — i.e. the real footprint of an ingest
of that file).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPEAKERS = ["Alice Martin", "Bob Durand", "Hélène Petit", "Paul Client"]
WORDS = ["ok", "so", "the", "budget", "for", "next", "quarter", "looks", "fine", "mais", "le", "client", "veut", "une", "remise", "de", "dix", "pour", "cent", "avant", "la", "fin", "du", "mois", "and", "we", "need", "legal", "to", "review", "the", "contract"]


def _clock(ms: int, sep: str) -> str:
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, milli = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{milli:03d}"


def _cues(n: int):  # type: ignore[no-untyped-def]
    for i in range(n):
        k = 6 + (i * 7) % 12
        text = " ".join(WORDS[(i + j) % len(WORDS)] for j in range(k))
        yield i, SPEAKERS[i % 2 if i % 5 else 2 + (i // 5) % 2], text, i * 3000, i * 3000 + 2500


def write(fmt: str, n: int, path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        if fmt == "vtt":
            fh.write("WEBVTT\n\n")
            for i, sp, tx, s, e in _cues(n):
                fh.write(f"{i + 1}\n{_clock(s, '.')} --> {_clock(e, '.')}\n<v {sp}>{tx}</v>\n\n")
        elif fmt == "srt":
            for i, sp, tx, s, e in _cues(n):
                fh.write(f"{i + 1}\n{_clock(s, ',')} --> {_clock(e, ',')}\n{sp}: {tx}\n\n")
        elif fmt == "txt":
            for _i, sp, tx, s, _e in _cues(n):
                fh.write(f"[{_clock(s, '.')[:8]}] {sp}: {tx}\n")
        elif fmt == "json":
            fh.write('{"utterances": [')
            for i, sp, tx, s, e in _cues(n):
                fh.write(("," if i else "") + json.dumps({"speaker": sp, "start": s / 1000, "end": e / 1000,
                                                          "text": tx}))
            fh.write("]}")
        elif fmt == "gong":
            fh.write('{"parties": [' + ",".join(json.dumps({"speakerId": str(k), "name": sp})
                                               for k, sp in enumerate(SPEAKERS)))
            fh.write('], "callTranscripts": [{"callId": "1", "transcript": [')
            for i, sp, tx, s, e in _cues(n):
                mid = (s + e) // 2
                block = {"speakerId": str(SPEAKERS.index(sp)), "topic": None, "sentences": [
                    {"start": s, "end": mid, "text": tx[: len(tx) // 2]},
                    {"start": mid, "end": e, "text": tx[len(tx) // 2:]}]}
                fh.write(("," if i else "") + json.dumps(block))
            fh.write("]}]}")
        else:
            raise SystemExit(f"unknown format {fmt}")


def child(path: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from miroir.importers.transcripts import parse_transcript_file_ex

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    turns, warnings = parse_transcript_file_ex(Path(path))
    dt = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"turns": len(turns), "warnings": len(warnings), "seconds": dt,
                      "rss_before_mib": before / 1024, "rss_peak_mib": peak / 1024}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--turns", type=int, default=1_000_000)
    ap.add_argument("--formats", default="vtt,srt,txt,json,gong")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return
    print(f"{'format':6} {'file MiB':>9} {'turns':>9} {'seconds':>8} {'turns/s':>10} {'MB/s':>6} {'peak RSS MiB':>13}")
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in args.formats.split(","):
            ext = "json" if fmt == "gong" else fmt
            path = Path(tmp) / f"bench.{ext}"
            write(fmt, args.turns, path)
            size = path.stat().st_size / 2**20
            out = subprocess.run([sys.executable, __file__, "--child", str(path)], check=True,
                                 capture_output=True, text=True, env=dict(os.environ)).stdout
            r = json.loads(out)
            print(f"{fmt:6} {size:9.1f} {r['turns']:9d} {r['seconds']:8.2f} {r['turns'] / r['seconds']:10.0f} "
                  f"{size / r['seconds']:6.1f} {r['rss_peak_mib']:13.0f}", flush=True)
            path.unlink()


if __name__ == "__main__":
    main()
