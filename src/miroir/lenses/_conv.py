"""Shared helpers of the conversation lenses (pressure, assumptions, meetings, customers).

One job each:
- ``load_conv``: utterances joined with their annotations and conversations, as one
  turn table with a boolean column per label (text is *not* loaded: quotes are
  fetched lazily for the few turns that become evidence);
- who chairs a review (its manager), whose customer call it is (its rep), teams;
- deal mentions in reviews (deal name and account, accent/case-insensitive, plus
  ``conversations.deal_ids``) and time attribution per deal;
- group-vs-rest statistics (Welch on per-unit values, Newcombe on proportions,
  Benjamini-Hochberg), scope resolution rep -> team, quote selection;
- building findings with FR/EN texts.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..models import KIND_LENS, Effect, Evidence, Finding, Metric, Observation, Scope
from ..stats import benjamini_hochberg, confidence_from_p, newcombe_diff_ci, wilson_ci
from .base import LensContext

LABELS: tuple[str, ...] = (
    "question", "open_question", "hedge", "assumption", "clarification", "pressure",
    "defensive", "exploratory", "next_step", "pain", "budget", "decision_maker",
    "decision_process", "decision_criteria", "timeline", "competition",
)
DECISION_ELEMENTS: tuple[str, ...] = (
    "decision_maker", "decision_process", "decision_criteria", "budget", "timeline",
    "competition", "pain",
)
REVIEW_KINDS: tuple[str, ...] = ("pipeline_review", "forecast_call")
INTERNAL_ROLES: tuple[str, ...] = ("rep", "manager", "director", "other")


# --------------------------------------------------------------------------- loading
@dataclass
class ConvData:
    """Turns (one row per utterance, label booleans ``l_<label>``, ``words`` = whitespace
    tokens holding at least one letter or digit), conversations
    (one row per conversation with its chair/rep/team) and people."""

    turns: pd.DataFrame
    convs: pd.DataFrame
    people: pd.DataFrame
    time_unit: str  # "seconds" when every turn has times, else "words"

    def review_turns(self) -> pd.DataFrame:
        return self.turns[self.turns["kind"].isin(REVIEW_KINDS)]

    def call_turns(self) -> pd.DataFrame:
        return self.turns[self.turns["kind"] == "customer_call"]


def _label_cols_sql() -> str:
    return ",\n".join(
        f"coalesce(list_contains(a.labels, '{lab}'), false) AS l_{lab}" for lab in LABELS
    )


# one-entry caches: the four conversation lenses of one diagnosis share the turn table and the
# deal mentions instead of rebuilding them; the key includes the row counts of the tables read,
# so a changed store is reloaded
_CACHE: dict[str, tuple[tuple[object, ...], Any]] = {}


def _fingerprint(ctx: LensContext) -> tuple[object, ...]:
    """Content hash of what the conversation lenses read (not the connection's identity:
    two stores of the same size must never share a cache entry)."""
    row = ctx.con.execute("""SELECT
        (SELECT sum(hash(conversation_id, turn, speaker, person_id, role, start_s, end_s, text)) FROM utterances),
        (SELECT sum(hash(conversation_id, turn, labels, spans, engine_version)) FROM annotations),
        (SELECT sum(hash(conversation_id, kind, started_at, deal_ids)) FROM conversations),
        (SELECT sum(hash(deal_id, name, account, owner, team, amount, stage, status)) FROM deals),
        (SELECT sum(hash(person_id, name, role, team)) FROM people)""").fetchall()  # fully fetched: no open result
    return (ctx.config.fiscal_year_start_month, *(row[0] if row else ()))


def load_conv(ctx: LensContext) -> ConvData:
    key = _fingerprint(ctx)
    hit = _CACHE.get("conv")
    if hit is not None and hit[0] == key:
        return hit[1]  # type: ignore[no-any-return]
    data = _load_conv(ctx)
    _CACHE["conv"] = (key, data)
    _CACHE.pop("mentions", None)
    return data


def _load_conv(ctx: LensContext) -> ConvData:
    con = ctx.con
    turns = con.execute(f"""
        SELECT u.conversation_id, u.turn, u.speaker, u.person_id,
               lower(coalesce(u.role, 'other')) AS role, u.start_s, u.end_s,
               len(regexp_extract_all(coalesce(u.text, ''), '\\S*[\\pL\\pN]\\S*')) AS words,
               (a.conversation_id IS NOT NULL) AS annotated,
               {_label_cols_sql()}
        FROM utterances u
        LEFT JOIN annotations a ON a.conversation_id = u.conversation_id AND a.turn = u.turn
        ORDER BY u.conversation_id, u.turn
    """).df()
    convs = con.execute("""
        SELECT conversation_id, lower(coalesce(kind, 'other')) AS kind, started_at,
               coalesce(deal_ids, '') AS deal_ids, language, title
        FROM conversations
    """).df()
    people = con.execute("SELECT person_id, name, lower(role) AS role, team, manager FROM people").df()
    kind_map = convs.set_index("conversation_id")["kind"]
    turns["kind"] = turns["conversation_id"].map(kind_map).fillna("other")
    for c in ("start_s", "end_s"):
        turns[c] = pd.to_numeric(turns[c], errors="coerce")
    dur = (turns["end_s"] - turns["start_s"]).clip(lower=0)
    timed = bool(len(turns)) and bool(dur.notna().all()) and float(dur.sum()) > 0
    turns["dur"] = dur.fillna(0.0) if timed else turns["words"].astype(float)
    # a display name per internal speaker: people.name via person_id, else the transcript label
    pid_name = people.dropna(subset=["person_id"]).set_index("person_id")["name"]
    pid_name = pid_name[~pid_name.index.duplicated()]
    turns["name"] = turns["person_id"].map(pid_name)
    turns["name"] = turns["name"].astype(object).where(turns["name"].notna(), turns["speaker"].astype(object))
    name_team = people.dropna(subset=["name"]).drop_duplicates("name").set_index("name")["team"]
    turns["team"] = turns["name"].map(name_team)
    convs = _conversation_roles(turns, convs)
    return ConvData(turns=turns, convs=convs, people=people, time_unit="seconds" if timed else "words")


def _top_speaker(turns: pd.DataFrame, role: str) -> pd.DataFrame:
    t = turns[turns["role"] == role]
    if t.empty:
        return pd.DataFrame(columns=["conversation_id", "name", "team"])
    g = t.groupby(["conversation_id", "name"], sort=False).agg(words=("words", "sum"), team=("team", "first"))
    g = g.reset_index().sort_values(["conversation_id", "words", "name"], ascending=[True, False, True])
    return g.drop_duplicates("conversation_id")[["conversation_id", "name", "team"]]


def _conversation_roles(turns: pd.DataFrame, convs: pd.DataFrame) -> pd.DataFrame:
    """Per conversation: the chair (manager speaking most, else director), the main
    rep (rep speaking most) and the team (chair's team, else the rep's)."""
    mgr = _top_speaker(turns, "manager").rename(columns={"name": "manager", "team": "manager_team"})
    dirr = _top_speaker(turns, "director").rename(columns={"name": "director", "team": "director_team"})
    rep = _top_speaker(turns, "rep").rename(columns={"name": "rep", "team": "rep_team"})
    out = convs.merge(mgr, on="conversation_id", how="left").merge(dirr, on="conversation_id", how="left")
    out = out.merge(rep, on="conversation_id", how="left")
    out["chair"] = _coalesce(out["manager"], out["director"])
    out["team"] = _coalesce(_coalesce(out["manager_team"], out["rep_team"]), out["director_team"])
    out["deal_list"] = out["deal_ids"].map(split_ids)
    return out


def _coalesce(a: pd.Series, b: pd.Series) -> pd.Series:
    a = a.astype(object)
    return a.where(a.notna(), b.astype(object))


def split_ids(value: object) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    return [p.strip() for p in str(value).split(";") if p.strip()]


def week_of_quarter(ts: pd.Series, ctx: LensContext) -> pd.Series:
    start = ctx.calendar.quarter_start(ts)
    days = (pd.to_datetime(ts) - start).dt.days
    return (days // 7 + 1).clip(upper=13)


# --------------------------------------------------------------------------- stages
def stage_ordinals(ctx: LensContext) -> dict[str, int]:
    """Lower-cased stage label -> ordinal (open stages only get meaningful ordinals)."""
    try:
        st = ctx.df("SELECT stage, ordinal, is_closed FROM stages")
    except Exception:  # noqa: BLE001 - the table may be absent in a hand-built store
        st = pd.DataFrame(columns=["stage", "ordinal", "is_closed"])
    if st.empty and ctx.config.stages:
        return {s.lower(): i for i, s in enumerate(ctx.config.stages)}
    return {str(s).lower(): int(o) for s, o in zip(st["stage"], st["ordinal"], strict=False)
            if s is not None and o is not None and not pd.isna(o)}


def open_stage_ordinals(ctx: LensContext) -> list[int]:
    try:
        st = ctx.df("SELECT ordinal FROM stages WHERE NOT coalesce(is_closed, false) ORDER BY ordinal")
        return [int(x) for x in st["ordinal"].dropna()]
    except Exception:  # noqa: BLE001
        return []


# --------------------------------------------------------------------------- deal mentions
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_GENERIC = frozenset(["deal", "deals", "the", "le", "la", "les", "de", "du", "des", "and", "et", "sa", "sas",
                      "inc", "ltd", "group", "groupe"])


def normalise_text(text: str) -> str:
    """Lower-case, accents stripped, punctuation -> space (for name matching)."""
    t = unicodedata.normalize("NFKD", str(text).lower())
    t = "".join(ch for ch in t if not unicodedata.combining(ch))
    return _NON_ALNUM.sub(" ", t).strip()


@dataclass
class _PhraseIndex:
    phrases: dict[tuple[str, ...], set[str]] = field(default_factory=dict)
    frozen: dict[tuple[str, ...], frozenset[str]] = field(default_factory=dict)
    firsts: set[str] = field(default_factory=set)
    lengths: list[int] = field(default_factory=list)

    def add(self, phrase: str, deal_id: str) -> None:
        toks = tuple(normalise_text(phrase).split())
        if not toks or (len(toks) == 1 and (len(toks[0]) < 3 or toks[0] in _GENERIC)):
            return
        self.phrases.setdefault(toks, set()).add(deal_id)

    def freeze(self) -> None:
        """Freeze the index: phrase -> deals, and the lengths to try at each position."""
        self.frozen = {k: frozenset(v) for k, v in self.phrases.items()}
        self.firsts = {k[0] for k in self.phrases}
        self.lengths = sorted({len(k) for k in self.phrases}, reverse=True)

    def find(self, norm: str) -> list[frozenset[str]]:
        """Deal sets of the phrases found in a normalised text, longest match first."""
        toks = norm.split()
        found: list[frozenset[str]] = []
        i = 0
        while i < len(toks):
            step = 1
            if toks[i] in self.firsts:
                for k in self.lengths:
                    ids = self.frozen.get(tuple(toks[i:i + k]))
                    if ids is not None:
                        found.append(ids)
                        step = k
                        break
            i += step
        return found


def deal_mentions(ctx: LensContext, data: ConvData) -> pd.DataFrame:
    """Deals mentioned in review turns (cached with the turn table, see ``_deal_mentions``)."""
    key = (_fingerprint(ctx), id(data))
    hit = _CACHE.get("mentions")
    if hit is not None and hit[0] == key:
        return hit[1]  # type: ignore[no-any-return]
    m = _deal_mentions(ctx, data)
    _CACHE["mentions"] = (key, m)
    return m


def _deal_mentions(ctx: LensContext, data: ConvData) -> pd.DataFrame:
    """Deals mentioned in review turns: one row per (conversation_id, turn, deal_id).

    A deal is found by its name or its account (case- and accent-insensitive, whole
    words); an account shared by several deals is resolved with the review's
    ``deal_ids``, then with the deals of the review's team open at its date; if
    still ambiguous, every candidate is kept (weight split)."""
    cols = ["conversation_id", "turn", "deal_id", "weight"]
    deals = ctx.df("SELECT deal_id, name, account, team, owner, created_at, close_date FROM deals")
    rv = data.convs[data.convs["kind"].isin(REVIEW_KINDS)]
    if deals.empty or rv.empty:
        return pd.DataFrame(columns=cols)
    idx = _PhraseIndex()
    for did, name, acc in zip(deals["deal_id"], deals["name"], deals["account"], strict=False):
        if isinstance(name, str) and name.strip():
            idx.add(name, str(did))
        if isinstance(acc, str) and acc.strip():
            idx.add(acc, str(did))
    idx.freeze()
    texts = ctx.con.execute("""
        SELECT u.conversation_id, u.turn,
               regexp_replace(strip_accents(lower(coalesce(u.text, ''))), '[^a-z0-9]+', ' ', 'g') AS norm
        FROM utterances u JOIN conversations c USING (conversation_id)
        WHERE lower(c.kind) IN ('pipeline_review', 'forecast_call')
    """).df()
    owner_team = deals.set_index("deal_id")["team"].to_dict()
    created = pd.to_datetime(deals.set_index("deal_id")["created_at"]).to_dict()
    closing = pd.to_datetime(deals.set_index("deal_id")["close_date"]).to_dict()
    conv_ids = dict(zip(rv["conversation_id"], rv["deal_list"], strict=False))
    conv_team = dict(zip(rv["conversation_id"], rv["team"], strict=False))
    conv_date = dict(zip(rv["conversation_id"], pd.to_datetime(rv["started_at"]), strict=False))
    out_c: list[str] = []
    out_t: list[int] = []
    out_d: list[str] = []
    out_w: list[float] = []
    for cid, turn, norm in zip(texts["conversation_id"], texts["turn"], texts["norm"], strict=False):
        if cid not in conv_ids:
            continue
        for ids in idx.find(norm):
            chosen = ids
            if len(ids) > 1:
                chosen = _disambiguate(ids, set(conv_ids[cid]), conv_team.get(cid), conv_date.get(cid),
                                       owner_team, created, closing)
            w = 1.0 / len(chosen)
            for d in sorted(chosen):
                out_c.append(cid)
                out_t.append(int(turn))
                out_d.append(d)
                out_w.append(w)
    return pd.DataFrame({"conversation_id": out_c, "turn": out_t, "deal_id": out_d, "weight": out_w},
                        columns=cols).drop_duplicates(["conversation_id", "turn", "deal_id"])


def _disambiguate(ids: frozenset[str], listed: set[str], team: object, date: object,
                  owner_team: dict[Any, Any], created: dict[Any, Any], closing: dict[Any, Any]) -> frozenset[str]:
    s = ids & listed
    if s:
        return frozenset(s)
    cand = set(ids)
    if isinstance(team, str):
        t = {d for d in cand if owner_team.get(d) == team}
        cand = t or cand
    if isinstance(date, pd.Timestamp) and not pd.isna(date):
        o = {d for d in cand
             if (pd.isna(created.get(d)) or created[d] <= date) and (pd.isna(closing.get(d)) or closing[d] >= date)}
        cand = o or cand
    return frozenset(cand)


def review_turn_deals(data: ConvData, mentions: pd.DataFrame) -> pd.DataFrame:
    """Which deal(s) each review turn is about: a turn that mentions deals opens a
    segment about them, which runs until the next turn that mentions other deals.
    One row per (conversation_id, turn, deal_id) with ``share`` = 1 / deals in segment."""
    cols = ["conversation_id", "turn", "deal_id", "share", "dur"]
    rt = data.review_turns()
    if rt.empty or mentions.empty:
        return pd.DataFrame(columns=cols)
    m = mentions.groupby(["conversation_id", "turn"])["deal_id"].apply(lambda s: tuple(sorted(set(s))))
    mm = m.to_dict()
    cur_conv = None
    cur: tuple[str, ...] = ()
    oc: list[str] = []
    ot: list[int] = []
    od: list[str] = []
    osh: list[float] = []
    odu: list[float] = []
    for cid, turn, dur in zip(rt["conversation_id"], rt["turn"], rt["dur"], strict=False):
        if cid != cur_conv:
            cur_conv, cur = cid, ()
        hit = mm.get((cid, int(turn)))
        if hit:
            cur = hit
        for d in cur:
            oc.append(cid)
            ot.append(int(turn))
            od.append(d)
            osh.append(1.0 / len(cur))
            odu.append(float(dur) / len(cur))
    return pd.DataFrame({"conversation_id": oc, "turn": ot, "deal_id": od, "share": osh, "dur": odu},
                        columns=cols)


def review_deal_time(data: ConvData, turn_deals: pd.DataFrame) -> pd.DataFrame:
    """Time attributed to each deal in each review (see ``review_turn_deals``), plus
    deals listed in ``deal_ids`` but never mentioned (time 0, ``mentioned`` False)."""
    cols = ["conversation_id", "deal_id", "time", "turns", "mentioned"]
    seg = turn_deals.groupby(["conversation_id", "deal_id"], as_index=False).agg(
        time=("dur", "sum"), turns=("turn", "size"))
    seg["mentioned"] = True
    listed = data.convs[data.convs["kind"].isin(REVIEW_KINDS)][["conversation_id", "deal_list"]]
    listed = listed.explode("deal_list").dropna().rename(columns={"deal_list": "deal_id"})
    listed = listed.merge(seg[["conversation_id", "deal_id"]], how="left", indicator=True)
    listed = listed[listed["_merge"] == "left_only"].drop(columns="_merge")
    listed["time"] = 0.0
    listed["turns"] = 0
    listed["mentioned"] = False
    parts = [x for x in (seg[cols], listed[cols]) if not x.empty]
    if not parts:
        return pd.DataFrame(columns=cols)
    return pd.concat(parts, ignore_index=True)[cols]


def load_deals(ctx: LensContext) -> pd.DataFrame:
    """Deals with the owner as a person's name (``owner`` may hold a person_id),
    the team (the deal's, else the owner's) and the stage ordinal."""
    d = ctx.df("""SELECT deal_id, name, account, owner, team, amount, stage, lower(coalesce(forecast_category, ''))
                  AS forecast_category, lower(coalesce(status, '')) AS status, created_at, close_date, discount_pct
                  FROM deals""")
    people = ctx.df("SELECT person_id, name, team FROM people")
    pid = people.dropna(subset=["person_id"]).drop_duplicates("person_id").set_index("person_id")["name"]
    d["owner"] = d["owner"].map(pid).fillna(d["owner"])
    nteam = people.dropna(subset=["name"]).drop_duplicates("name").set_index("name")["team"]
    d["team"] = d["team"].fillna(d["owner"].map(nteam))
    ords = stage_ordinals(ctx)
    d["stage_ord"] = d["stage"].map(lambda s: ords.get(str(s).lower()) if s is not None else None)
    d["amount"] = pd.to_numeric(d["amount"], errors="coerce").fillna(0.0)
    return d


def stage_history(ctx: LensContext) -> pd.DataFrame:
    """Stage changes with the ordinal of the new stage (deal_id, changed_at, ord)."""
    ords = stage_ordinals(ctx)
    try:
        ch = ctx.df("SELECT deal_id, changed_at, new_value FROM deal_changes WHERE lower(field) = 'stage'")
    except Exception:  # noqa: BLE001
        return pd.DataFrame(columns=["deal_id", "changed_at", "ord"])
    ch["ord"] = ch["new_value"].map(lambda s: ords.get(str(s).lower()) if s is not None else None)
    ch["changed_at"] = pd.to_datetime(ch["changed_at"])
    return ch[["deal_id", "changed_at", "ord"]]


# --------------------------------------------------------------------------- statistics
def bh(pvals: Sequence[float] | np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (q-values), same order as the input."""
    return benjamini_hochberg(np.asarray(pvals, dtype=float))[1]


def wilson(k: float, n: float) -> tuple[float, float]:
    w = wilson_ci(k, n)
    return (w.low, w.high)


def newcombe(k1: float, n1: float, k2: float, n2: float) -> tuple[float, float, float]:
    """Difference p1 - p2 with Newcombe's hybrid score interval (method 10)."""
    w = newcombe_diff_ci(k1, n1, k2, n2)
    return (w.estimate, w.low, w.high)


def two_prop_p(k1: float, n1: float, k2: float, n2: float) -> float:
    pv = newcombe_diff_ci(k1, n1, k2, n2).p_value
    return 1.0 if pv is None else float(pv)


def welch_vs_rest(values: pd.Series | np.ndarray, groups: pd.Series | np.ndarray,
                  *, exclude: pd.Series | np.ndarray | None = None) -> pd.DataFrame:
    """Each group's mean of ``values`` against the mean of all other rows (Welch t,
    95% interval of the difference). One row per group with n >= 2.

    ``exclude`` (optional, same length) names a second grouping whose members are
    left out of a group's comparison rest (e.g. a rep's own team)."""
    v = np.asarray(values, dtype=float)
    g = np.asarray(groups, dtype=object)
    ok = ~np.isnan(v) & pd.notna(g)
    df = pd.DataFrame({"v": v[ok], "g": g[ok]})
    if exclude is not None:
        df["x"] = np.asarray(exclude, dtype=object)[ok]
    if df.empty:
        return pd.DataFrame(columns=["group", "n", "mean", "rest_n", "rest_mean", "diff", "ci_low",
                                     "ci_high", "p"])
    df["v2"] = df["v"] ** 2
    s = df.groupby("g").agg(n=("v", "size"), s1=("v", "sum"), s2=("v2", "sum"))
    if exclude is None:
        tot_n, tot_1, tot_2 = len(df), df["v"].sum(), df["v2"].sum()
        rn = tot_n - s["n"]
        r1 = tot_1 - s["s1"]
        r2 = tot_2 - s["s2"]
    else:
        x = df.groupby("x").agg(n=("v", "size"), s1=("v", "sum"), s2=("v2", "sum"))
        gx = df.drop_duplicates("g").set_index("g")["x"]
        xs = x.reindex(gx.reindex(s.index).values)
        tot_n, tot_1, tot_2 = len(df), df["v"].sum(), df["v2"].sum()
        rn = tot_n - xs["n"].to_numpy()
        r1 = tot_1 - xs["s1"].to_numpy()
        r2 = tot_2 - xs["s2"].to_numpy()
    out = pd.DataFrame(index=s.index)
    out["n"] = s["n"]
    out["mean"] = s["s1"] / s["n"]
    out["rest_n"] = np.asarray(rn, dtype=float)
    out["rest_mean"] = np.asarray(r1, dtype=float) / np.maximum(out["rest_n"], 1)
    var1 = (s["s2"] - s["n"] * out["mean"] ** 2) / np.maximum(s["n"] - 1, 1)
    var2 = (np.asarray(r2, dtype=float) - out["rest_n"] * out["rest_mean"] ** 2) / np.maximum(out["rest_n"] - 1, 1)
    var1 = var1.clip(lower=0)
    var2 = np.clip(var2, 0, None)
    a = var1 / s["n"]
    b = var2 / np.maximum(out["rest_n"], 1)
    se = np.sqrt(a + b)
    se = np.where(se > 1e-12, se, 1e-12)
    dof = (a + b) ** 2 / (a ** 2 / np.maximum(s["n"] - 1, 1) + b ** 2 / np.maximum(out["rest_n"] - 1, 1))
    dof = np.where(np.isfinite(dof) & (dof > 0), dof, 1.0)
    out["diff"] = out["mean"] - out["rest_mean"]
    tcrit = sps.t.ppf(0.975, dof)
    out["ci_low"] = out["diff"] - tcrit * se
    out["ci_high"] = out["diff"] + tcrit * se
    out["p"] = 2 * sps.t.sf(np.abs(out["diff"]) / se, dof)
    out = out[(out["n"] >= 2) & (out["rest_n"] >= 2)]
    return out.reset_index().rename(columns={"g": "group"})


def mean_ci(x: Sequence[float] | np.ndarray) -> tuple[float, float, float]:
    """Mean with a t 95% interval."""
    a = np.asarray(x, dtype=float)
    a = a[~np.isnan(a)]
    if len(a) == 0:
        return (float("nan"), float("nan"), float("nan"))
    m = float(a.mean())
    if len(a) < 2:
        return (m, float("nan"), float("nan"))
    h = float(sps.t.ppf(0.975, len(a) - 1) * a.std(ddof=1) / math.sqrt(len(a)))
    return (m, m - h, m + h)


def ols_slope(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> tuple[float, float, float, float]:
    """OLS slope of y on x with its 95% interval and p-value."""
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    ok = ~(np.isnan(xa) | np.isnan(ya))
    xa, ya = xa[ok], ya[ok]
    if len(xa) < 3 or np.ptp(xa) == 0:
        return (float("nan"), float("nan"), float("nan"), 1.0)
    r = sps.linregress(xa, ya)
    h = float(sps.t.ppf(0.975, len(xa) - 2) * r.stderr)
    return (float(r.slope), float(r.slope) - h, float(r.slope) + h, float(r.pvalue))


# --------------------------------------------------------------------------- scope resolution
@dataclass
class Tested:
    """One scope's comparison against the rest of the organisation."""

    level: str
    id: str
    n: int
    value: float
    baseline: float
    diff: float
    ci_low: float
    ci_high: float
    p: float
    q: float = 1.0
    members: list[str] = field(default_factory=list)
    baseline_group: str = "rest of the organisation"


def flagged(t: Tested, direction: int, min_effect: float, alpha: float) -> bool:
    """Significant after BH and materially different in the given direction."""
    if direction > 0:
        return t.q < alpha and t.ci_low > 0 and t.diff >= min_effect
    return t.q < alpha and t.ci_high < 0 and t.diff <= -min_effect


def test_units(per_unit: pd.DataFrame, value: str, unit: str, level: str, min_n: int,
               exclude: str | None = None, direction: int = 0) -> tuple[list[Tested], list[Tested]]:
    """Compare each ``unit`` (e.g. a rep) with the rest on the per-row ``value``
    (rows are conversations or deals). Returns (tested with n >= min_n, below min n),
    with BH q-values over the tested ones. With ``direction`` +1/-1 the p-values are
    one-sided (the dynamic names a direction: more pressure, less clarification)."""
    w = welch_vs_rest(per_unit[value], per_unit[unit],
                      exclude=None if exclude is None else per_unit[exclude])
    tested: list[Tested] = []
    small: list[Tested] = []
    for r in w.itertuples(index=False):
        pv = float(r.p)
        if direction:
            pv = pv / 2 if direction * float(r.diff) > 0 else 1 - pv / 2
        t = Tested(level, str(r.group), int(r.n), float(r.mean), float(r.rest_mean), float(r.diff),
                   float(r.ci_low), float(r.ci_high), pv)
        (tested if r.n >= min_n else small).append(t)
    q = bh([t.p for t in tested])
    for t, qq in zip(tested, q, strict=False):
        t.q = float(qq)
    return tested, small


def resolve_rep_team(per_row: pd.DataFrame, value: str, *, direction: int, min_effect: float,
                     alpha: float, min_n_rep: int, min_n_team: int,
                     team_share: float = 0.5) -> tuple[list[Tested], list[Tested], list[Tested]]:
    """Scope resolution for behaviours of people inside teams.

    ``per_row`` has columns ``rep``, ``team`` and ``value``. A team is reported when
    it differs from the rest of the organisation (BH over teams) and at least
    ``team_share`` of its reps with enough data lean the same way against the rest
    outside their team; its reps are then not reported one by one. Otherwise reps
    that differ from the rest (BH over reps) are reported; inside a reported team, a rep
    who differs from their own team-mates (BH within the team) is reported as well, with
    the team-mates as baseline. Returns (team findings, rep findings, material but not
    settled: observations)."""
    d = per_row.dropna(subset=[value])
    teams, _ = test_units(d.dropna(subset=["team"]), value, "team", "team", min_n_team, direction=direction)
    reps, small_reps = test_units(d.dropna(subset=["rep"]), value, "rep", "rep", min_n_rep, direction=direction)
    dd = d.dropna(subset=["rep", "team"])
    reps_x = {t.id: t for t in test_units(dd, value, "rep", "rep", min_n_rep, exclude="team")[0]}
    rep_team = dd.drop_duplicates("rep").set_index("rep")["team"].to_dict()
    team_hits: list[Tested] = []
    for t in teams:
        if not flagged(t, direction, min_effect, alpha):
            continue
        members = [r for r, tm in rep_team.items() if tm == t.id and r in reps_x]
        lean = [r for r in members if direction * reps_x[r].diff >= min_effect]
        if members and len(lean) / len(members) >= team_share and _beyond_top_rep(dd, value, t.id, direction,
                                                                                  alpha, reps_x, min_effect):
            t.members = sorted(members)
            team_hits.append(t)
    covered = {t.id for t in team_hits}
    rep_hits = [r for r in reps if flagged(r, direction, min_effect, alpha) and rep_team.get(r.id) not in covered]
    for t in team_hits:  # a rep who stands out even from their own (flagged) team-mates is reported too
        inside, _ = test_units(dd[dd["team"] == t.id], value, "rep", "rep", min_n_rep, direction=direction)
        for r in inside:
            if flagged(r, direction, min_effect, alpha):
                r.baseline_group = f"team-mates in {t.id}"
                rep_hits.append(r)
    unsettled = [r for r in reps + small_reps
                 if r not in rep_hits and rep_team.get(r.id) not in covered and direction * r.diff >= min_effect]
    return team_hits, rep_hits, unsettled


def _beyond_top_rep(d: pd.DataFrame, value: str, team: str, direction: int, alpha: float,
                    reps_x: dict[str, Tested], min_effect: float = 0.0) -> bool:
    """A team effect must not be one rep's: without the team's most extreme rep, the rest of
    the team still differs from the organisation outside the team in the same direction,
    significantly and by at least ``min_effect`` (a single planted rep leaves the rest of a
    team at the organisation's level; a team-wide behaviour does not)."""
    mine = d[d["team"] == team]
    if mine["rep"].nunique() < 2:
        return False
    top = max(mine["rep"].unique(), key=lambda r: direction * reps_x[r].diff if r in reps_x else -np.inf)
    sub = d[(d["team"] != team) | (d["rep"] != top)]
    grp = np.where(sub["team"] == team, "in", "out")
    w = welch_vs_rest(sub[value].to_numpy(), grp)
    row = w[w["group"] == "in"]
    if row.empty:
        return False
    diff, pv = float(row["diff"].iloc[0]), float(row["p"].iloc[0])
    return direction * diff >= max(min_effect, 1e-12) and pv / 2 < alpha


def tested_table(ts: list[Tested], value: str) -> pd.DataFrame:
    return pd.DataFrame([{"scope_level": t.level, "scope_id": t.id, "n": t.n, value: t.value,
                          "rest": t.baseline, "diff": t.diff, "ci_low": t.ci_low, "ci_high": t.ci_high,
                          "p": t.p, "q_bh": t.q} for t in ts])


def confidence_of(t: Tested) -> float:
    return round(confidence_from_p(t.p, t.q), 4)


# --------------------------------------------------------------------------- evidence
def _stable(*parts: object) -> str:
    return hashlib.sha1("|".join(str(p) for p in parts).encode()).hexdigest()


def select_quotes(ctx: LensContext, candidates: pd.DataFrame, labels: Iterable[str], *,
                  k: int = 5, pool: int = 400, show_names: bool = False,
                  min_words: int = 4, max_words: int = 60) -> list[Evidence]:
    """The k most representative utterances among ``candidates`` (columns
    conversation_id, turn): ranked by how much of the turn the labels' evidence
    spans cover (density) with a preference for turns of readable length, then
    picked round-robin across conversations (at most one per conversation while
    others remain) so that the quotes show a pattern, not one meeting. A
    deterministic hash, not the order of the data, breaks ties: never "the first ones".
    """
    if candidates.empty:
        return []
    labs = list(labels)
    c = candidates[["conversation_id", "turn"]].drop_duplicates()
    if len(c) > pool:
        h = c.apply(lambda r: _stable(r["conversation_id"], r["turn"]), axis=1)
        c = c.assign(_h=h).sort_values("_h").head(pool).drop(columns="_h")
    ctx.con.register("_quote_cands", c)
    try:
        rows = ctx.con.execute("""
            SELECT u.conversation_id, u.turn, u.start_s, u.role, u.speaker, u.person_id, u.text, a.spans
            FROM _quote_cands q
            JOIN utterances u ON u.conversation_id = q.conversation_id AND u.turn = q.turn
            LEFT JOIN annotations a ON a.conversation_id = u.conversation_id AND a.turn = u.turn
        """).df()
    finally:
        ctx.con.unregister("_quote_cands")
    if rows.empty:
        return []
    names = ctx.df("SELECT person_id, name FROM people").dropna().drop_duplicates("person_id")
    pid_name = names.set_index("person_id")["name"].to_dict()
    scored: list[tuple[float, str, dict[str, Any]]] = []
    for r in rows.to_dict("records"):
        text = str(r["text"] or "").strip()
        nw = len(text.split())
        if nw == 0:
            continue
        covered = 0
        try:
            spans = json.loads(r["spans"]) if isinstance(r["spans"], str) and r["spans"] else {}
        except (ValueError, TypeError):
            spans = {}
        marks = np.zeros(len(text) + 1, dtype=bool)
        for lab in labs:
            for se in spans.get(lab, []) or []:
                try:
                    s, e = int(se[0]), int(se[1])
                except (TypeError, ValueError, IndexError):
                    continue
                marks[max(0, s):max(0, min(len(text), e))] = True
        covered = int(marks.sum())
        density = covered / max(1, len(text))
        length_fit = 1.0 if min_words <= nw <= max_words else 0.4
        score = (0.2 + density) * length_fit
        scored.append((-score, _stable(r["conversation_id"], r["turn"]), r))
    scored.sort(key=lambda x: (x[0], x[1]))
    chosen: list[dict[str, Any]] = []
    seen: set[str] = set()
    for _, _, r in scored:
        if len(chosen) >= k:
            break
        if r["conversation_id"] in seen:
            continue
        seen.add(r["conversation_id"])
        chosen.append(r)
    if len(chosen) < min(k, 3):
        for _, _, r in scored:
            if len(chosen) >= min(k, 3):
                break
            if r not in chosen:
                chosen.append(r)
    out: list[Evidence] = []
    for r in chosen:
        role = str(r["role"] or "other").lower()
        speaker = None
        if show_names and role in ("rep", "manager"):
            speaker = pid_name.get(r["person_id"]) or r["speaker"]
        start = r["start_s"]
        out.append(Evidence(type="utterance", conversation_id=str(r["conversation_id"]),
                            start_s=None if start is None or pd.isna(start) else float(start),
                            speaker_role=role, speaker=speaker, quote=_clip(str(r["text"]))))
    return out


def _clip(text: str, limit: int = 400) -> str:
    t = " ".join(text.split())
    return t if len(t) <= limit else t[: limit - 1].rstrip() + "…"


def deal_evidence(deals: pd.DataFrame, k: int = 5, note: str | None = None) -> list[Evidence]:
    """Deal references, largest amounts first (they matter most to the reader)."""
    if deals.empty:
        return []
    d = deals.sort_values(["amount", "deal_id"], ascending=[False, True]).head(k)
    return [Evidence(type="deal", deal_id=str(x), note=note) for x in d["deal_id"]]


# --------------------------------------------------------------------------- findings
@dataclass
class Texts:
    title: str
    title_fr: str
    statement: str
    statement_fr: str
    question: str
    question_fr: str


def make_finding(kind: str, level: str, scope_id: str, texts: Texts, metric: Metric, effect: Effect,
                 n: int, confidence: float, evidence: list[Evidence], params: dict[str, Any],
                 value_at_stake: float | None = None) -> Finding:
    p = dict(params)
    p.update(title_fr=texts.title_fr, statement_fr=texts.statement_fr, question_fr=texts.question_fr)
    return Finding(kind=kind, lens=KIND_LENS[kind], scope=Scope(level, scope_id),  # type: ignore[arg-type]
                   title=texts.title, statement=texts.statement, metric=metric, effect=effect, n=int(n),
                   confidence=confidence, evidence=evidence, question=texts.question,
                   value_at_stake=None if value_at_stake is None else float(value_at_stake), params=p)


def tested_finding(kind: str, t: Tested, texts: Texts, metric: str, unit: str, evidence: list[Evidence],
                   params: dict[str, Any], *, method: str = "", level: str | None = None,
                   value_at_stake: float | None = None) -> Finding:
    """A finding from one scope's comparison with the rest: its value vs the
    baseline, the difference with its interval, n, and the BH q-value; a team
    finding also lists the team's reps (params)."""
    params = {**params, "alpha": params.get("alpha"), "q_value": t.q, "baseline_group": t.baseline_group}
    if t.level == "team":
        params["reps"] = t.members
    method = method or WELCH_METHOD
    if t.baseline_group != Tested.baseline_group:
        method = f"{method}; baseline: {t.baseline_group}"
    return make_finding(kind, level or t.level, t.id, texts, Metric(metric, t.value, t.baseline, unit),
                        Effect(t.diff, t.ci_low, t.ci_high, method), t.n, confidence_of(t),
                        evidence, params, value_at_stake=value_at_stake)


def unsettled_observation(lens: str, kind: str, t: Tested, min_n: int, what: str) -> Observation:
    scope = Scope(t.level, t.id)  # type: ignore[arg-type]
    if t.n < min_n:
        reason = "below_min_n"
        text = (f"{what}: {t.value:.3g} vs {t.baseline:.3g} elsewhere on {t.n} units; "
                f"at least {min_n} are needed to settle it.")
    else:
        reason = "not_significant"
        text = (f"{what}: {t.value:.3g} vs {t.baseline:.3g} elsewhere (difference {t.diff:+.3g}, 95% CI "
                f"{t.ci_low:+.3g} to {t.ci_high:+.3g}, q={t.q:.2g}); not settled by these data.")
    return Observation(lens=lens, kind=kind, scope=scope, statement=text, reason=reason, n=t.n,
                       details={"value": t.value, "baseline": t.baseline, "diff": t.diff})


def fmt_pct(x: float) -> str:
    return f"{100 * x:.0f}%"


WELCH_METHOD = "Welch t, per-conversation values, scope vs rest of organisation"
PER_DEAL_METHOD = "Welch t on per-deal 0/1 indicators, scope vs rest"
BH_SENTENCE = ("Scopes (teams, managers, reps) are each compared with the rest of the organisation; "
               "one-sided p-values (in the direction the dynamic names) are adjusted across the scopes of one level with Benjamini-Hochberg (FDR 5%), "
               "and a finding also needs the difference to exceed a documented materiality threshold.")
