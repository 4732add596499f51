"""The meetings lens on real meetings: AMI (QMSum packaging), imported as `other` meetings.

Role mapping: "Project Manager" chairs the meeting -> role `manager`; Marketing, User
Interface and Industrial Designer -> role `other` (internal participants who are not
reps). There are no timestamps, so talk share is the share of words (a word = a
whitespace token holding at least one letter or digit). The expected numbers are
computed here independently, with plain Python over the JSON.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from miroir.lenses._conv import load_conv
from miroir.lenses.base import LensContext
from miroir.lenses.meetings import MeetingsLens, talk_shares
from miroir.store.schema import memory_store

AMI = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "external" / "qmsum-ami-meetings"
ROLE = {"Project Manager": "manager"}


def _words(text: str) -> int:
    return sum(1 for tok in text.split() if any(ch.isalnum() for ch in tok))


def _load() -> dict[str, list[dict[str, str]]]:
    files = sorted(AMI.resolve().glob("*.json"))
    if not files:
        pytest.fail(f"AMI sample not found at {AMI.resolve()}")
    return {f.stem: json.loads(f.read_text(encoding="utf-8"))["meeting_transcripts"] for f in files}


def _store(meetings: dict[str, list[dict[str, str]]]):  # type: ignore[no-untyped-def]
    con = memory_store()
    for i, (mid, turns) in enumerate(meetings.items()):
        con.execute("INSERT INTO conversations (conversation_id, kind, started_at, language, title, file_sha256) "
                    "VALUES (?, 'other', ?, 'en', ?, ?)", [mid, dt.datetime(2026, 1, 5 + i), mid, "sha-" + mid])
        for k, t in enumerate(turns):
            con.execute("INSERT INTO utterances VALUES (?, ?, ?, NULL, ?, NULL, NULL, ?, 'en')",
                        [mid, k, t["speaker"], ROLE.get(t["speaker"], "other"), t["content"]])
    return con


def _hand_shares(turns: list[dict[str, str]], key) -> dict[str, float]:  # type: ignore[no-untyped-def]
    tot: dict[str, int] = {}
    for t in turns:
        tot[key(t)] = tot.get(key(t), 0) + _words(t["content"])
    all_words = sum(tot.values())
    return {k: v / all_words for k, v in tot.items()}


@pytest.mark.slow
def test_meetings_lens_on_ami_talk_shares_match_hand_count() -> None:
    from miroir.store.annotations import annotate_store

    meetings = _load()
    con = _store(meetings)
    annotate_store(con, n_jobs=1)
    ctx = LensContext(con=con)
    res = MeetingsLens().run(ctx)
    assert not res.findings  # no reviews, no deals: nothing to claim
    data = load_conv(ctx)
    assert data.time_unit == "words"
    by_speaker = talk_shares(data.turns, "speaker").set_index(["conversation_id", "speaker"])
    by_role = res.metrics["talk_share_by_role"].set_index("role")
    role_means: dict[str, list[float]] = {}
    for mid, turns in meetings.items():
        for spk, share in _hand_shares(turns, lambda t: t["speaker"]).items():
            assert by_speaker.loc[(mid, spk), "word_share"] == pytest.approx(share, abs=1e-9)
        for role, share in _hand_shares(turns, lambda t: ROLE.get(t["speaker"], "other")).items():
            role_means.setdefault(role, []).append(share)
    for role, shares in role_means.items():
        assert by_role.loc[role, "mean_word_share"] == pytest.approx(sum(shares) / len(shares), abs=1e-9)
        assert by_role.loc[role, "meetings"] == len(shares)
    words_pm = sum(_words(t["content"]) for ts in meetings.values() for t in ts if t["speaker"] == "Project Manager")
    assert by_role.loc["manager", "words"] == words_pm


def test_ami_sample_word_counts_by_hand() -> None:
    """Pinned hand counts (so a change in the word definition is seen): ES2002a turns and PM share."""
    meetings = _load()
    a = meetings["ES2002a"]
    assert len(a) == 287
    shares = _hand_shares(a, lambda t: t["speaker"])
    assert max(shares, key=shares.get) == "Project Manager"  # type: ignore[arg-type]
