"""Fuzz the learned layer's C accelerator (src/miroir/language/_fastlayer.c) against its numpy path.

    .venv/bin/python bench/fastlayer_fuzz.py [--rounds 3000] [--so PATH]

Random turns (separators of every kind, non-ASCII, emoji, vocabulary words) through both paths:
the n-gram scores and the evidence of a label must agree; then random bytes (invalid and truncated
UTF-8 included) straight into the C functions, which must not fail. Run it under AddressSanitizer
and UndefinedBehaviorSanitizer with a sanitized build of the module (``--so``):

    gcc -shared -fPIC -O1 -g -fsanitize=address,undefined -I"$(python -c 'import sysconfig;
        print(sysconfig.get_paths()["include"])')" src/miroir/language/_fastlayer.c -o /tmp/_fastlayer.so
    ASAN_OPTIONS=detect_leaks=0 LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)" \\
        .venv/bin/python bench/fastlayer_fuzz.py --so /tmp/_fastlayer.so
"""

from __future__ import annotations

import argparse
import importlib.util
import random

import numpy as np

from miroir.language import learned

PIECES = [*"ab é_1?!,.'-\n\x1e«»…–€²ç ", "\u2009", "ŝ", "日", "🙂", "budget", " no way ", "\xff", "ü"]


def _on_path(use_fast: bool, fn, *args):  # type: ignore[no-untyped-def]
    """``fn(*args)`` through the C accelerator or the numpy path."""
    learned.USE_FAST = use_fast
    try:
        return fn(*args)
    finally:
        learned.USE_FAST = True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3000)
    ap.add_argument("--so", help="a build of _fastlayer to test instead of the installed one (e.g. sanitized)")
    args = ap.parse_args()
    if args.so:
        spec = importlib.util.spec_from_file_location("miroir.language._fastlayer", args.so)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        learned._fastlayer = module
        learned._fast_tables.cache_clear()
    if learned._fastlayer is None:
        raise SystemExit("the C accelerator is not built: nothing to fuzz")
    learned.USE_FAST = True
    for lang in ("fr", "en"):
        model = learned.load_model(lang)
        assert model is not None
        rng = random.Random(0)
        pieces = PIECES + list(model.vocab.tokens[:500])
        for _ in range(args.rounds):
            turns = ["".join(rng.choice(pieces) + rng.choice([" ", "", "?"]) for _ in range(rng.randrange(40)))
                     for _ in range(rng.randrange(8))]
            fast, slow = (_on_path(use_fast, model.ngram_scores, turns) for use_fast in (True, False))
            assert np.allclose(fast, slow), turns
            for turn in turns[:2]:
                for col in (1, 5, 9):
                    a, b = (_on_path(use_fast, learned._evidence, model, turn, {}, col) for use_fast in (True, False))
                    assert a == b, (turn, col)
        tables = learned._fast_tables(model)
        for _ in range(args.rounds * 5):
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(30)))
            tables.scores(data, rng.randrange(4))
            tables.best(data, rng.randrange(16))
        print(f"{lang}: {args.rounds} random chunks agree, {args.rounds * 5} random byte strings handled")


if __name__ == "__main__":
    main()
