"""Throughput of the language engine vs spaCy's blank tokenizer, one core.

    .venv/bin/python bench/language_speed.py [--words 2000000] [--detect]

Generates a deterministic mixed FR/EN corpus (bench/language_corpus.py),
annotates it on one core with the batch API (``n_jobs=1``) and, in the same
run, tokenizes the same texts with ``spacy.blank("fr")`` / ``spacy.blank("en")``.
Times are CPU time of this process (robust on a shared machine) and wall time.
Peak memory: traced Python allocations while streaming 1/4 of the corpus and
the whole corpus through ``iter_annotate`` (flat = same peak).
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from language_corpus import utterances  # noqa: E402

from miroir.language import iter_annotate  # noqa: E402


def _timed(fn) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    c0, w0 = time.process_time(), time.perf_counter()
    fn()
    return time.process_time() - c0, time.perf_counter() - w0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--words", type=int, default=2_000_000)
    ap.add_argument("--detect", action="store_true", help="do not pass the language (detect it per utterance)")
    ap.add_argument("--repeat", type=int, default=3, help="best of N timings")
    args = ap.parse_args()

    corpus = list(utterances(args.words))
    n_words = sum(len(t.split()) for t, *_ in corpus)
    n_fr = sum(1 for _, lang, *_ in corpus if lang == "fr")
    print(f"corpus: {len(corpus):,} utterances, {n_words:,} words ({n_fr:,} FR / {len(corpus) - n_fr:,} EN)")

    records = [(t, None if args.detect else lang, role, ctx) for t, lang, role, ctx in corpus]

    def run_miroir() -> None:
        for _ in iter_annotate(records, n_jobs=1):
            pass

    run_miroir()  # warm-up: compile lexicons, fill cue memo
    best = min((_timed(run_miroir) for _ in range(args.repeat)), key=lambda t: t[0])
    print(f"miroir annotate (1 core{', language detected' if args.detect else ''}): "
          f"{n_words / best[0]:,.0f} words/s CPU ({best[0]:.2f} s), {n_words / best[1]:,.0f} words/s wall")

    try:
        import spacy
    except ImportError:
        print("spaCy is not installed: no reference timing. Install it with `pip install -e .[bench]`.")
        spacy = None
    if spacy is not None:
        nlps = {"fr": spacy.blank("fr"), "en": spacy.blank("en")}
        fr_texts = [t for t, lang, *_ in corpus if lang == "fr"]
        en_texts = [t for t, lang, *_ in corpus if lang == "en"]

        def run_spacy() -> None:
            for lang, texts in (("fr", fr_texts), ("en", en_texts)):
                for _doc in nlps[lang].tokenizer.pipe(texts, batch_size=1000):
                    pass

        run_spacy()
        sbest = min((_timed(run_spacy) for _ in range(args.repeat)), key=lambda t: t[0])
        print(f"spaCy {spacy.__version__} blank tokenizer (1 core): {n_words / sbest[0]:,.0f} words/s CPU "
              f"({sbest[0]:.2f} s), {n_words / sbest[1]:,.0f} words/s wall")
        print(f"ratio miroir / spaCy (CPU): {sbest[0] / best[0]:.2f}x")

    for fraction in (4, 1):
        part = args.words // fraction
        tracemalloc.start()
        for _ in iter_annotate(((t, lang, r, c) for t, lang, r, c in utterances(part)), n_jobs=1):
            pass
        _cur, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"peak traced memory, streaming {part:,} words: {peak / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
