"""Throughput of the language engine vs spaCy's blank tokenizer, one core.

    .venv/bin/python bench/language_speed.py [--words 2000000] [--detect] [--rules-only] [--no-accelerator]

Generates a deterministic mixed FR/EN corpus (bench/language_corpus.py),
annotates it on one core with the batch API (``n_jobs=1``), with the learned layer (the
default) and with the rules alone (``learned=False``), and, in the same run, tokenizes the same
texts with ``spacy.blank("fr")`` / ``spacy.blank("en")``.
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


def _spacy_runner(corpus: list[tuple[str, str, str, str]]):  # type: ignore[no-untyped-def]
    """spaCy's blank tokenizer over the same texts, per language; None when spaCy is missing."""
    try:
        import spacy
    except ImportError:
        print("spaCy is not installed: no reference timing. Install it with `pip install -e .[bench]`.")
        return None
    nlps = {"fr": spacy.blank("fr"), "en": spacy.blank("en")}
    texts = {lang: [t for t, lg, *_ in corpus if lg == lang] for lang in nlps}

    def run_spacy() -> None:
        for lang, items in texts.items():
            for _doc in nlps[lang].tokenizer.pipe(items, batch_size=1000):
                pass

    run_spacy()  # warm-up
    return run_spacy


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--words", type=int, default=2_000_000)
    ap.add_argument("--detect", action="store_true", help="do not pass the language (detect it per utterance)")
    ap.add_argument("--repeat", type=int, default=5, help="best of N timings")
    ap.add_argument("--rules-only", action="store_true", help="time only the rules (learned=False)")
    ap.add_argument("--no-accelerator", action="store_true",
                    help="the learned layer's numpy path even when its C accelerator is built")
    args = ap.parse_args()

    corpus = list(utterances(args.words))
    n_words = sum(len(t.split()) for t, *_ in corpus)
    n_fr = sum(1 for _, lang, *_ in corpus if lang == "fr")
    print(f"corpus: {len(corpus):,} utterances, {n_words:,} words ({n_fr:,} FR / {len(corpus) - n_fr:,} EN)")
    from miroir.language import learned

    if args.no_accelerator:
        learned.USE_FAST = False
    if learned.USE_FAST:
        path = "C accelerator (_fastlayer)"
    elif learned._fastlayer is not None:
        path = "numpy path (--no-accelerator)"
    else:
        path = "numpy path (the C accelerator is not built: no compiler at install)"
    print(f"learned layer's n-gram scores: {path}")

    records = [(t, None if args.detect else lang, role, ctx) for t, lang, role, ctx in corpus]

    modes = {"rules only": False} if args.rules_only else {"rules + learned layer": True, "rules only": False}

    def runner(learned: bool):  # type: ignore[no-untyped-def]
        def run() -> None:
            for _ in iter_annotate(records, n_jobs=1, learned=learned):
                pass
        return run

    runs = {name: runner(learned) for name, learned in modes.items()}
    for run in runs.values():
        run()  # warm-up: compile lexicons, load the model, fill cue memo
    run_spacy = _spacy_runner(corpus)
    # interleaved (miroir modes, spaCy, miroir modes, spaCy...): all see the same machine load; best of N each
    m_times: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
    s_times = []
    for _ in range(args.repeat):
        for name, run in runs.items():
            m_times[name].append(_timed(run))
        if run_spacy is not None:
            s_times.append(_timed(run_spacy))
    sbest = min(s_times, key=lambda t: t[0]) if s_times else None
    if run_spacy is not None and sbest is not None:
        import spacy

        print(f"spaCy {spacy.__version__} blank tokenizer (1 core): {n_words / sbest[0]:,.0f} words/s CPU "
              f"({sbest[0]:.2f} s), {n_words / sbest[1]:,.0f} words/s wall")
    for name, times in m_times.items():
        best = min(times, key=lambda t: t[0])
        print(f"miroir annotate, {name} (1 core{', language detected' if args.detect else ''}): "
              f"{n_words / best[0]:,.0f} words/s CPU ({best[0]:.2f} s), {n_words / best[1]:,.0f} words/s wall")
        if sbest is not None:
            print(f"  ratio miroir / spaCy (CPU): {sbest[0] / best[0]:.2f}x "
                  f"(per round: {', '.join(f'{s[0] / m[0]:.2f}' for m, s in zip(times, s_times, strict=True))})")

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
