"""Print a seeded sample of the AMI turns the engine labels `question`, for a hand check of precision.

    .venv/bin/python bench/ami_questions.py [--n 50] [--seed 2026]

Reads ``../shared/data/external/qmsum-ami-meetings/*.json`` (public AMI meeting transcripts), annotates
every turn (English, role and context unknown), prints the counts and, for each sampled question, the
question sentence the engine found (its evidence span) and whether it is labelled `open_question`.
The judgement is a person's: docs/language.md reports the last one.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from miroir.language import annotate_batch

AMI = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "external" / "qmsum-ami-meetings"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=50)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    files = sorted(AMI.glob("*.json"))
    if not files:
        raise SystemExit(f"no AMI transcripts under {AMI.resolve()}: this script needs the shared data folder")
    turns = [t["content"] for f in files for t in json.loads(f.read_text(encoding="utf-8"))["meeting_transcripts"]]
    anns = annotate_batch([(t, "en", "other", "other") for t in turns], n_jobs=1)
    questions = [(t, a) for t, a in zip(turns, anns, strict=True) if "question" in a.labels]
    print(f"{len(turns)} turns; {len(questions)} labelled question ({sum('?' in t for t, _ in questions)} with a "
          f"question mark); {sum('open_question' in a.labels for _, a in questions)} labelled open_question")
    sample = random.Random(args.seed).sample(questions, min(args.n, len(questions)))
    for i, (text, ann) in enumerate(sample, 1):
        start, end = ann.spans["question"][0]
        print(f"{i:3d} {'open' if 'open_question' in ann.labels else '    '} {text[start:end]!r}")


if __name__ == "__main__":
    main()
