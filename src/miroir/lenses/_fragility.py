"""Fragility signals: each deal as it stood at past weekly review dates, and what came of it.

One job each:
- ``review_dates`` / ``build_snapshots``: one row per (deal, weekly review date) while
  the deal was open, with its CRM state at that instant reconstructed from
  ``deal_changes`` (as-of joins, no per-deal loop) and its outcome: ``bad`` = lost,
  or closed after the end of the fiscal quarter its expected close date lay in at
  the snapshot (slipped), ``resolved_at`` = when that became known;
- ``conversation_signals``: the same instants seen through its customer calls
  (clarification debt, customer voices, customer talk share and trend, pressure
  on the customer) and through the reviews that discussed it (recurrence,
  assumption-heavy talk);
- ``SIGNALS``: the feature catalogue with FR/EN words.

Below them: the model (``fit_logit``: sign-constrained, L2-regularised logistic
regression), the scores (weighted AUC, paired bootstrap against baselines) and
the time-split ``validate``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._conv import REVIEW_KINDS, ConvData, deal_mentions, load_conv, review_turn_deals, stage_ordinals
from ._crm import data_bounds, load_deals
from .base import LensContext

# decision elements whose absence from the customer calls is "clarification debt"
DEBT_ELEMENTS: tuple[str, ...] = ("decision_maker", "decision_process", "decision_criteria", "budget")


@dataclass(frozen=True)
class Signal:
    name: str
    group: str  # "crm", "calls", "reviews"
    en: str  # what a high value means, in words
    fr: str
    needs: str = ""  # indicator column that says the signal is observed ("" = always)


SIGNALS: tuple[Signal, ...] = (
    Signal("pushes", "crm", "close date pushed back", "date de clôture repoussée"),
    Signal("pushed_days", "crm", "days of close-date pushes", "jours de report de la date de clôture"),
    Signal("stage_age", "crm", "long in its stage compared with the team's norm",
           "longtemps dans son étape par rapport à la norme de l'équipe"),
    Signal("overdue", "crm", "expected close date already passed", "date de clôture prévue dépassée"),
    Signal("amount_cut", "crm", "amount reduced since creation", "montant réduit depuis la création"),
    Signal("early_discount", "crm", "discount granted before the final stage",
           "remise accordée avant la dernière étape"),
    Signal("no_calls", "calls", "no recorded customer call", "aucun appel client enregistré"),
    Signal("clarification_debt", "calls", "decision elements never explored with the customer",
           "éléments de décision jamais explorés avec le client", needs="has_calls"),
    Signal("single_threaded", "calls", "only one customer voice heard", "une seule voix côté client",
           needs="has_calls"),
    Signal("low_customer_talk", "calls", "customer speaks little in its calls",
           "le client parle peu pendant les appels", needs="has_calls"),
    Signal("customer_talk_falling", "calls", "customer talk share falling from call to call",
           "part de parole du client en baisse d'un appel à l'autre", needs="has_calls"),
    Signal("pressure_on_customer", "calls", "pressure put on the customer in calls",
           "pression exercée sur le client pendant les appels", needs="has_calls"),
    Signal("review_recurrence", "reviews", "keeps coming back in reviews",
           "revient de revue en revue"),
    Signal("review_assumptions", "reviews", "assumption-heavy talk about it in reviews",
           "discussion en revue fondée sur des suppositions", needs="in_reviews"),
)
SIGNAL_BY_NAME = {s.name: s for s in SIGNALS}


@dataclass
class Snapshots:
    """Snapshot table (one row per deal x review date) and what was available."""

    rows: pd.DataFrame
    asof: pd.Timestamp
    deals: pd.DataFrame
    groups: list[str] = field(default_factory=list)  # signal groups computed
    omitted: dict[str, str] = field(default_factory=dict)  # group -> why it was left out


def review_dates(lo: pd.Timestamp, hi: pd.Timestamp, every_days: int = 7) -> pd.DatetimeIndex:
    """Mondays from the first Monday after ``lo`` up to ``hi`` (inclusive)."""
    start = (lo.normalize() + pd.Timedelta(days=(7 - lo.weekday()) % 7))
    return pd.date_range(start, hi.normalize(), freq=f"{every_days}D")


def _closed_mask(deals: pd.DataFrame) -> np.ndarray:
    return deals["status"].isin(["won", "lost"]).to_numpy()


def expand_open(deals: pd.DataFrame, dates: pd.DatetimeIndex, asof: pd.Timestamp) -> pd.DataFrame:
    """(deal_id, at) for every review date at which a deal was open: created before
    the date and not yet closed on it."""
    if len(dates) == 0 or deals.empty:
        return pd.DataFrame({"deal_id": pd.Series(dtype=object), "at": pd.Series(dtype="datetime64[ns]")})
    d0 = dates.values.astype("datetime64[ns]")
    created = deals["created_at"].values.astype("datetime64[ns]")
    end = deals["close_date"].where(_closed_mask(deals), asof + pd.Timedelta(days=1))
    end = pd.to_datetime(end).values.astype("datetime64[ns]")
    first = np.searchsorted(d0, created, side="right")  # first date > created
    last = np.searchsorted(d0, end, side="left")  # dates < end
    ok = ~(np.isnat(created) | np.isnat(end))
    k = np.where(ok, np.maximum(last - first, 0), 0)
    idx = np.repeat(np.arange(len(deals)), k)
    offs = np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k)
    at = d0[np.repeat(first, k) + offs]
    return pd.DataFrame({"deal_id": deals["deal_id"].to_numpy()[idx], "at": at})


def _asof(left: pd.DataFrame, right: pd.DataFrame, cols: list[str], direction: str = "backward",
          allow_exact: bool = True) -> pd.DataFrame:
    """merge_asof of ``left`` (deal_id, at, _i) with ``right`` (deal_id, changed_at, cols)."""
    lf = left[["_i", "deal_id", "at"]].copy()
    lf["at"] = pd.to_datetime(lf["at"]).astype("datetime64[ns]")
    lf["deal_id"] = lf["deal_id"].astype(str)
    lf = lf.sort_values("at", kind="stable")
    rt = right[["deal_id", "changed_at", *cols]].dropna(subset=["changed_at"]).copy()
    rt["changed_at"] = pd.to_datetime(rt["changed_at"]).astype("datetime64[ns]")
    rt["deal_id"] = rt["deal_id"].astype(str)
    rt = rt.sort_values("changed_at", kind="stable")
    if rt.empty:
        out = lf.copy()
        for c in cols:
            out[c] = np.nan
        return out.sort_values("_i").reset_index(drop=True)
    out = pd.merge_asof(lf, rt, left_on="at", right_on="changed_at", by="deal_id", direction=direction,
                        allow_exact_matches=allow_exact)
    return out.sort_values("_i").reset_index(drop=True)


def _field_at(snaps: pd.DataFrame, ch: pd.DataFrame, current: pd.Series | None) -> tuple[pd.Series, pd.Series]:
    """Text value of a tracked field at each snapshot and when it was set (NaT when
    unknown): last new value at or before, else the first change's old value, else
    the deal's current value when the field never changed."""
    back = _asof(snaps, ch.assign(set_at=ch["changed_at"]), ["new_value", "set_at"])
    fwd = _asof(snaps, ch, ["old_value"], direction="forward", allow_exact=False)
    val = back["new_value"].where(back["new_value"].notna() & (back["new_value"] != ""), None)
    old = fwd["old_value"].where(fwd["old_value"].notna() & (fwd["old_value"] != ""), None)
    val = val.fillna(old)
    if current is not None:
        has = snaps["deal_id"].isin(set(ch["deal_id"]))
        cur = snaps["deal_id"].map(current)
        val = val.where(val.notna() | has, cur)
    return pd.Series(val.to_numpy(), index=snaps.index), pd.Series(back["set_at"].to_numpy(), index=snaps.index)


def _changes(ctx: LensContext) -> pd.DataFrame:
    return ctx.df("""SELECT deal_id, changed_at, lower(field) AS field, old_value, new_value
                     FROM deal_changes WHERE changed_at IS NOT NULL ORDER BY deal_id, changed_at""")


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s, errors="coerce")


def stage_norms(stage_ch: pd.DataFrame, ordinal: dict[str, int], team: pd.Series,
                before: pd.Timestamp | None) -> tuple[dict[tuple[str, int], float], dict[int, float]]:
    """Median days a stage lasted (completed spells ending before ``before``), per
    (team, stage ordinal) with at least 10 spells, and per stage ordinal org-wide."""
    s = stage_ch.sort_values(["deal_id", "changed_at"]).copy()
    s["ord"] = s["new_value"].astype(str).str.lower().map(ordinal)
    s["next_at"] = s.groupby("deal_id")["changed_at"].shift(-1)
    s = s.dropna(subset=["next_at", "ord"])
    if before is not None:
        s = s[s["next_at"] < before]
    s["days"] = (s["next_at"] - s["changed_at"]).dt.total_seconds() / 86400
    s["team"] = s["deal_id"].map(team)
    org = s.groupby("ord")["days"].median().to_dict()
    g = s.groupby(["team", "ord"])["days"].agg(["median", "size"])
    g = g[g["size"] >= 10]
    return {(str(k[0]), int(k[1])): float(v) for k, v in g["median"].items()}, {int(k): float(v) for k, v in org.items()}


def build_snapshots(ctx: LensContext, *, every_days: int = 7, extra: pd.DataFrame | None = None,
                    norms_before: pd.Timestamp | None = None, now: bool = False) -> Snapshots:
    """CRM state and outcome of every open deal at every review date (source
    ``review_date``), plus the (deal_id, at) pairs of ``extra`` (e.g. the dates gut
    calls were recorded; source ``extra``) and, with ``now``, every deal still open
    at the end of the data (source ``now``)."""
    deals = load_deals(ctx)
    lo, asof = data_bounds(ctx)
    deals = deals[deals["created_at"].notna()].reset_index(drop=True)
    dates = review_dates(lo, asof, every_days)
    snaps = expand_open(deals, dates, asof)
    snaps["source"] = "review_date"
    if extra is not None and len(extra):
        e = extra[["deal_id", "at"]].copy()
        e["at"] = pd.to_datetime(e["at"])
        e = e[e["deal_id"].isin(set(deals["deal_id"]))]
        e["source"] = "extra"
        snaps = pd.concat([snaps, e], ignore_index=True)
    if now:
        op = deals[deals["status"] == "open"]
        snaps = pd.concat([snaps, pd.DataFrame({"deal_id": op["deal_id"].to_numpy(),
                                                "at": asof.normalize() + pd.Timedelta(days=1),
                                                "source": "now"})], ignore_index=True)
    snaps["at"] = pd.to_datetime(snaps["at"]).astype("datetime64[ns]")
    snaps["_i"] = np.arange(len(snaps))
    d = deals.set_index("deal_id")
    snaps["team"] = snaps["deal_id"].map(d["team"]).to_numpy()
    snaps["owner"] = snaps["deal_id"].map(d["owner"]).to_numpy()
    snaps["amount"] = snaps["deal_id"].map(d["amount"]).to_numpy()
    ch = _changes(ctx)
    by_field = {f: g for f, g in ch.groupby("field")}
    empty = pd.DataFrame(columns=["deal_id", "changed_at", "old_value", "new_value"])

    # -- stage and its age vs the team's norm
    ordinal = stage_ordinals(ctx)
    stage_ch = by_field.get("stage", empty)
    stage, stage_set = _field_at(snaps, stage_ch, d["stage"].astype(str))
    snaps["stage_ord"] = stage.astype(object).map(lambda v: ordinal.get(str(v).lower()) if v is not None else None)
    snaps["stage_ord"] = _num(snaps["stage_ord"])
    created = pd.to_datetime(snaps["deal_id"].map(d["created_at"]))
    since = pd.to_datetime(stage_set).fillna(created)
    snaps["stage_days"] = ((snaps["at"] - since).dt.total_seconds() / 86400).clip(lower=0)
    team_norm, org_norm = stage_norms(stage_ch, ordinal, d["team"], norms_before)
    keys = list(zip(snaps["team"].astype(str), snaps["stage_ord"].fillna(-1).astype(int), strict=True))
    norm = pd.Series([team_norm.get(k, org_norm.get(k[1], np.nan)) for k in keys], index=snaps.index)
    norm = norm.fillna(snaps["stage_days"].median() if len(snaps) else 30.0)
    snaps["stage_age"] = np.log((snaps["stage_days"] + 7) / (norm + 7))

    # -- expected close date, pushes so far
    cd = by_field.get("close_date", empty).copy()
    cd["old_d"] = pd.to_datetime(cd["old_value"], errors="coerce")
    cd["new_d"] = pd.to_datetime(cd["new_value"], errors="coerce")
    days = (cd["new_d"] - cd["old_d"]).dt.days
    cd["push"] = (days > 0).astype(float)
    cd["pdays"] = days.clip(lower=0).fillna(0.0)
    cd = cd.sort_values(["deal_id", "changed_at"])
    cd["cum_push"] = cd.groupby("deal_id")["push"].cumsum()
    cd["cum_days"] = cd.groupby("deal_id")["pdays"].cumsum()
    pushes = _asof(snaps, cd, ["cum_push", "cum_days"])
    snaps["pushes"] = np.minimum(pushes["cum_push"].fillna(0.0).to_numpy(), 6)
    snaps["pushed_days"] = np.log1p(pushes["cum_days"].fillna(0.0).to_numpy())
    exp_txt, _ = _field_at(snaps, cd, d["close_date"].astype(str))
    expected = pd.to_datetime(exp_txt, errors="coerce")
    snaps["expected_close"] = expected.fillna(pd.to_datetime(snaps["deal_id"].map(d["close_date"])))
    snaps["overdue"] = (snaps["expected_close"] < snaps["at"]).astype(float)

    # -- amount and discount
    am = by_field.get("amount", empty)
    amount_txt, _ = _field_at(snaps, am, d["amount"].astype(str))
    first_amount = am.sort_values("changed_at").groupby("deal_id")["new_value"].first()
    a_now = _num(pd.Series(amount_txt, index=snaps.index))
    a0 = _num(snaps["deal_id"].map(first_amount)).fillna(a_now)
    with np.errstate(divide="ignore", invalid="ignore"):
        cut = -np.log(np.clip(a_now / a0, 1e-3, None))
    snaps["amount_cut"] = pd.Series(cut, index=snaps.index).replace([np.inf, -np.inf], np.nan).fillna(0.0).clip(
        -2, 2)
    disc_txt, _ = _field_at(snaps, by_field.get("discount_pct", empty), None)
    disc = _num(pd.Series(disc_txt, index=snaps.index)).fillna(0.0)
    last_open = max([o for s, o in ordinal.items() if not _is_closed_stage(s)] or [3])
    snaps["early_discount"] = ((disc > 0) & (snaps["stage_ord"].fillna(0) < last_open)).astype(float)
    fc_txt, _ = _field_at(snaps, by_field.get("forecast_category", empty), d["forecast_category"].astype(str))
    snaps["forecast_category"] = pd.Series(fc_txt, index=snaps.index).astype(object).map(
        lambda v: str(v).lower() if v is not None and str(v) not in ("", "nan", "None") else "unknown")

    # -- outcome
    status = snaps["deal_id"].map(d["status"])
    close = pd.to_datetime(snaps["deal_id"].map(d["close_date"]))
    closed = status.isin(["won", "lost"])
    qend = ctx.calendar.quarter_end(snaps["expected_close"]) + pd.Timedelta(days=1)  # first day after
    slipped = (closed & (close >= qend)) | (~closed & (asof >= qend))
    lost = status == "lost"
    snaps["labelled"] = (closed | slipped).to_numpy()
    snaps["bad"] = (lost | slipped).astype(float).where(snaps["labelled"])
    resolved = close.where(closed)
    resolved = resolved.where(~slipped, np.minimum(resolved.fillna(qend), qend))
    snaps["resolved_at"] = resolved
    snaps["lost"] = lost.to_numpy()
    snaps["slipped"] = slipped.to_numpy()
    return Snapshots(rows=snaps, asof=asof, deals=deals, groups=["crm"])


def _is_closed_stage(stage: str) -> bool:
    s = stage.lower()
    return any(w in s for w in ("won", "lost", "gagn", "perdu", "closed", "clos"))


# --------------------------------------------------------------------------- conversations

def conversation_signals(ctx: LensContext, snap: Snapshots) -> None:
    """Add call and review signals to ``snap.rows`` in place (or record why not)."""
    n_utt = ctx.count("utterances")
    n_ann = ctx.count("annotations")
    if n_utt == 0:
        snap.omitted["calls"] = "no transcripts (utterances table empty)"
        snap.omitted["reviews"] = "no transcripts (utterances table empty)"
        return
    if n_ann == 0:
        snap.omitted["calls"] = "transcripts not annotated (annotations table empty)"
        snap.omitted["reviews"] = "transcripts not annotated (annotations table empty)"
        return
    data = load_conv(ctx)
    _call_signals(data, snap)
    _review_signals(ctx, data, snap)


def _call_signals(data: ConvData, snap: Snapshots) -> None:
    turns = data.call_turns()
    convs = data.convs
    rows = snap.rows
    calls = convs[convs["kind"] == "customer_call"][["conversation_id", "started_at", "deal_list"]]
    calls = calls.explode("deal_list").dropna(subset=["deal_list"]).rename(columns={"deal_list": "deal_id"})
    calls = calls[calls["deal_id"].isin(set(rows["deal_id"]))]
    if turns.empty or calls.empty:
        snap.omitted["calls"] = "no customer call linked to a deal (conversations.deal_ids)"
        return
    t = turns.copy()
    t["cust"] = t["role"] == "customer"
    t["cust_words"] = np.where(t["cust"], t["words"], 0)
    t["press"] = (~t["cust"]) & t["l_pressure"]
    agg = {"words": ("words", "sum"), "cust_words": ("cust_words", "sum"), "press": ("press", "sum")}
    for e in DEBT_ELEMENTS:
        agg[e] = (f"l_{e}", "max")
    per = t.groupby("conversation_id").agg(**agg).reset_index()
    per["share"] = per["cust_words"] / per["words"].where(per["words"] > 0)
    c = calls.merge(per, on="conversation_id", how="inner")
    c["started_at"] = pd.to_datetime(c["started_at"])
    c = c.sort_values(["deal_id", "started_at"]).reset_index(drop=True)
    g = c.groupby("deal_id")
    c["n_calls"] = g.cumcount() + 1
    c["cum_words"] = g["words"].cumsum()
    c["cum_cust"] = g["cust_words"].cumsum()
    c["cum_press"] = g["press"].cumsum()
    c["first_share"] = g["share"].transform("first")
    for e in DEBT_ELEMENTS:
        c[f"ex_{e}"] = g[e].cummax().astype(float)
    # distinct customer voices so far
    v = t[t["cust"]][["conversation_id", "speaker"]].copy()
    v["speaker"] = v["speaker"].astype(str).str.strip().str.casefold()
    v = v.drop_duplicates().merge(c[["conversation_id", "deal_id", "started_at"]], on="conversation_id")
    v = v.sort_values("started_at").drop_duplicates(["deal_id", "speaker"])
    v = v.sort_values(["deal_id", "started_at"])
    v["voices"] = v.groupby("deal_id").cumcount() + 1
    vv = v.groupby(["deal_id", "started_at"])["voices"].max().reset_index().rename(columns={"started_at": "changed_at"})
    c = c.rename(columns={"started_at": "changed_at"})
    cols = ["n_calls", "cum_words", "cum_cust", "cum_press", "first_share", "share",
            *[f"ex_{e}" for e in DEBT_ELEMENTS]]
    a = _asof(rows, c, cols, allow_exact=False)
    av = _asof(rows, vv, ["voices"], allow_exact=False)
    has = a["n_calls"].fillna(0).to_numpy() > 0
    rows["has_calls"] = has.astype(float)
    rows["n_calls"] = a["n_calls"].fillna(0).to_numpy()
    rows["no_calls"] = (~has).astype(float)
    ex = np.column_stack([a[f"ex_{e}"].fillna(0).to_numpy() for e in DEBT_ELEMENTS])
    rows["clarification_debt"] = np.where(has, 1 - ex.mean(axis=1), np.nan)
    rows["single_threaded"] = np.where(has, (av["voices"].fillna(0).to_numpy() <= 1).astype(float), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = a["cum_cust"].to_numpy() / a["cum_words"].to_numpy()
    rows["low_customer_talk"] = np.where(has, 1 - np.nan_to_num(share, nan=0.0), np.nan)
    trend = (a["first_share"] - a["share"]).to_numpy()
    rows["customer_talk_falling"] = np.where(has, np.where(a["n_calls"].fillna(0).to_numpy() >= 2,
                                                           np.nan_to_num(trend), 0.0), np.nan)
    rows["pressure_on_customer"] = np.where(has, np.log1p(a["cum_press"].fillna(0).to_numpy()), np.nan)
    snap.groups.append("calls")


def _review_signals(ctx: LensContext, data: ConvData, snap: Snapshots) -> None:
    rows = snap.rows
    convs = data.convs
    rv = convs[convs["kind"].isin(REVIEW_KINDS)]
    if rv.empty:
        snap.omitted["reviews"] = "no pipeline review or forecast call transcripts"
        return
    mentions = deal_mentions(ctx, data)
    listed = rv[["conversation_id", "deal_list"]].explode("deal_list").dropna().rename(
        columns={"deal_list": "deal_id"})
    seen = pd.concat([mentions[["conversation_id", "deal_id"]], listed], ignore_index=True).drop_duplicates()
    seen = seen.merge(rv[["conversation_id", "started_at"]], on="conversation_id")
    seen = seen[seen["deal_id"].isin(set(rows["deal_id"]))]
    if seen.empty:
        snap.omitted["reviews"] = "no review discusses a known deal"
        return
    td = review_turn_deals(data, mentions)
    rt = data.review_turns()[["conversation_id", "turn", "l_assumption"]]
    td = td.merge(rt, on=["conversation_id", "turn"], how="left")
    td["assume"] = td["l_assumption"].fillna(False).astype(float) * td["share"]
    per = td.groupby(["conversation_id", "deal_id"]).agg(turns=("share", "sum"), assume=("assume", "sum"))
    seen = seen.merge(per.reset_index(), on=["conversation_id", "deal_id"], how="left").fillna(
        {"turns": 0.0, "assume": 0.0})
    seen["started_at"] = pd.to_datetime(seen["started_at"])
    seen = seen.sort_values(["deal_id", "started_at"])
    g = seen.groupby("deal_id")
    seen["n_reviews"] = g.cumcount() + 1
    seen["cum_turns"] = g["turns"].cumsum()
    seen["cum_assume"] = g["assume"].cumsum()
    a = _asof(rows, seen.rename(columns={"started_at": "changed_at"}), ["n_reviews", "cum_turns", "cum_assume"],
              allow_exact=False)
    n = a["n_reviews"].fillna(0).to_numpy()
    rows["review_recurrence"] = np.log1p(n)
    turns = a["cum_turns"].fillna(0).to_numpy()
    rows["in_reviews"] = (turns > 0).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rows["review_assumptions"] = np.where(turns > 0, a["cum_assume"].fillna(0).to_numpy() / turns, np.nan)
    snap.groups.append("reviews")


# --------------------------------------------------------------------------- model

PRIOR_SD = 1.0  # prior sd of a standardised coefficient (log-odds per sd of the signal)


@dataclass
class Design:
    """Standardised design matrix: which signals, their centring and scale."""

    names: list[str]
    mean: np.ndarray
    sd: np.ndarray
    n_controls: int = 0  # the first columns are controls (stage indicators), not signals

    @property
    def signals(self) -> list[str]:
        return self.names[self.n_controls:]

    def matrix(self, rows: pd.DataFrame) -> np.ndarray:
        """z-scores; an unobserved signal (NaN: e.g. no calls) sits at the mean (0)."""
        x = np.column_stack([rows[n].to_numpy(dtype=float) for n in self.names]) if self.names else np.zeros(
            (len(rows), 0))
        z = (x - self.mean) / self.sd
        return np.nan_to_num(z, nan=0.0)


def make_design(rows: pd.DataFrame, names: list[str], w: np.ndarray, controls: list[str] | None = None) -> Design:
    """Keep the controls and signals that vary in ``rows`` (weighted mean and sd over
    observed values); controls come first."""
    keep, mu, sd = [], [], []
    n_ctl = 0
    for i, n in enumerate([*(controls or []), *names]):
        if n not in rows:
            continue
        x = rows[n].to_numpy(dtype=float)
        ok = np.isfinite(x)
        if ok.sum() < 5:
            continue
        m = float(np.average(x[ok], weights=w[ok]))
        s = float(np.sqrt(np.average((x[ok] - m) ** 2, weights=w[ok])))
        if not np.isfinite(s) or s < 1e-9:
            continue
        keep.append(n)
        mu.append(m)
        sd.append(s)
        n_ctl += int(i < len(controls or []))
    return Design(keep, np.array(mu), np.array(sd), n_ctl)


@dataclass
class LogitFit:
    """L2-penalised (Gaussian-prior) logistic regression on standardised signals."""

    design: Design
    coef: np.ndarray  # [intercept, signals...]
    cov: np.ndarray  # Laplace approximation of the posterior covariance
    n_eff: float  # sum of weights (deals)
    prior_sd: float
    converged: bool

    def linear(self, z: np.ndarray) -> np.ndarray:
        return self.coef[0] + z @ self.coef[1:]

    def predict(self, z: np.ndarray) -> np.ndarray:
        return _sigmoid(self.linear(z))

    def linear_se(self, z: np.ndarray) -> np.ndarray:
        x = np.column_stack([np.ones(len(z)), z])
        return np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", x, self.cov, x), 0))

    def contributions(self, z: np.ndarray) -> np.ndarray:
        """coef x standardised value, per row and signal (log-odds above the average
        deal); controls excluded."""
        c = self.design.n_controls
        return z[:, c:] * self.coef[1 + c:][None, :]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -35, 35)))


def fit_logit(z: np.ndarray, y: np.ndarray, w: np.ndarray, design: Design, *,
              prior_sd: float = PRIOR_SD, n_controls: int = 0, control_sd: float = 2.5) -> LogitFit:
    """Posterior mode of a logistic regression under Gaussian priors: each fragility
    signal's coefficient ~ N(0, prior_sd^2) and constrained to be >= 0 (a signal can
    only raise the risk: one that goes the other way in this dataset gets 0); the
    first ``n_controls`` columns of ``z`` (stage indicators) ~ N(0, control_sd^2),
    free sign; the intercept is flat. Rows are weighted (``w``) so that a deal seen
    at many review dates counts once in total. L-BFGS-B; the covariance is the
    inverse Hessian at the mode (Laplace approximation)."""
    from scipy.optimize import minimize

    x = np.column_stack([np.ones(len(z)), z])
    k = x.shape[1]
    pen = np.full(k, 1.0 / prior_sd ** 2)
    pen[0] = 0.0
    pen[1:1 + n_controls] = 1.0 / control_sd ** 2
    ybar = float(np.average(y, weights=w)) if w.sum() > 0 else 0.5
    b0 = np.zeros(k)
    b0[0] = np.log(max(ybar, 1e-4) / max(1 - ybar, 1e-4))

    def f(beta: np.ndarray) -> tuple[float, np.ndarray]:
        eta = x @ beta
        ll = w * (y * eta - np.logaddexp(0.0, eta))
        p = _sigmoid(eta)
        val = -float(ll.sum()) + 0.5 * float(np.sum(pen * beta ** 2))
        grad = -(x.T @ (w * (y - p))) + pen * beta
        return val, grad

    bounds = [(None, None)] * (1 + n_controls) + [(0.0, None)] * (k - 1 - n_controls)
    res = minimize(f, b0, jac=True, method="L-BFGS-B", bounds=bounds,
                   options={"maxiter": 500, "gtol": 1e-7})
    beta = np.asarray(res.x, float)
    p = _sigmoid(x @ beta)
    h = (x * (w * p * (1 - p))[:, None]).T @ x + np.diag(pen)
    cov = np.linalg.pinv(h)
    return LogitFit(design, beta, cov, float(w.sum()), prior_sd, bool(res.success))


def deal_weights(deal_ids: pd.Series) -> np.ndarray:
    """1 / (number of rows of the same deal)."""
    k = deal_ids.map(deal_ids.value_counts())
    return 1.0 / k.to_numpy(dtype=float)


# --------------------------------------------------------------------------- scores

def weighted_auc(score: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """AUC (Mann-Whitney, ties count 1/2) for one score and several weight vectors
    ``w`` of shape (b, n): one AUC per row. Sorts once; O(b n)."""
    w = np.atleast_2d(w)
    order = np.argsort(score, kind="stable")
    s = score[order]
    yy = y[order].astype(bool)
    ww = w[:, order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    pos = np.add.reduceat(np.where(yy[None, :], ww, 0.0), starts, axis=1)
    neg = np.add.reduceat(np.where(yy[None, :], 0.0, ww), starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    num = np.sum(pos * (below + 0.5 * neg), axis=1)
    den = pos.sum(axis=1) * neg.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return num / den


def auc(score: np.ndarray, y: np.ndarray) -> float:
    return float(weighted_auc(np.asarray(score, float), np.asarray(y, float), np.ones((1, len(y))))[0])


@dataclass
class Compared:
    """AUC and Brier score of several scores on the same rows, with paired bootstrap
    intervals and the differences against the first (the model)."""

    names: list[str]
    auc: dict[str, tuple[float, float, float]]
    brier: dict[str, tuple[float, float, float]]
    auc_diff: dict[str, tuple[float, float, float]]  # model - other
    brier_diff: dict[str, tuple[float, float, float]]  # other - model (> 0: model better)
    n: int  # deals
    n_pos: int  # deals lost or slipped at one of their test snapshots at least
    method: str


def cluster_weights(groups: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap row weights resampling whole clusters (deals): each cluster drawn
    c times gives its rows weight c / (rows in the cluster). Shape (n_boot, rows)."""
    codes, uniq = pd.factorize(groups)
    g = len(uniq)
    size = np.bincount(codes, minlength=g).astype(float)
    draws = rng.multinomial(g, np.full(g, 1.0 / g), size=n_boot).astype(float)
    return (draws / size[None, :])[:, codes]


def compare_scores(scores: dict[str, np.ndarray], y: np.ndarray, *, groups: np.ndarray | None = None,
                   n_boot: int = 1000, seed: int = 0) -> Compared:
    """AUC and Brier score of each score on the same rows, each deal (``groups``)
    weighing 1 in total; percentile bootstrap resampling deals, the same resamples
    for every score (paired)."""
    n = len(y)
    grp = np.arange(n) if groups is None else np.asarray(groups)
    rng = np.random.default_rng(seed)
    names = list(scores)
    codes, uniq = pd.factorize(grp)
    base_w = 1.0 / np.bincount(codes)[codes]
    boots_auc = {k: np.empty(n_boot) for k in names}
    boots_br = {k: np.empty(n_boot) for k in names}
    done = 0
    chunk = max(1, min(n_boot, 4_000_000 // max(n, 1)))
    while done < n_boot:
        b = min(chunk, n_boot - done)
        w = cluster_weights(grp, b, rng)
        for k in names:
            boots_auc[k][done:done + b] = weighted_auc(scores[k], y, w)
            boots_br[k][done:done + b] = (w @ (scores[k] - y) ** 2) / w.sum(axis=1)
        done += b
    n_deals = len(uniq)

    def iv(point: float, arr: np.ndarray) -> tuple[float, float, float]:
        arr = arr[np.isfinite(arr)]
        if len(arr) == 0:
            return (point, float("nan"), float("nan"))
        lo, hi = np.quantile(arr, [0.025, 0.975])
        return (float(point), float(lo), float(hi))

    one = base_w[None, :]
    a = {k: iv(float(weighted_auc(scores[k], y, one)[0]), boots_auc[k]) for k in names}
    br = {k: iv(float(np.average((scores[k] - y) ** 2, weights=base_w)), boots_br[k]) for k in names}
    m = names[0]
    ad = {k: iv(a[m][0] - a[k][0], boots_auc[m] - boots_auc[k]) for k in names[1:]}
    bd = {k: iv(br[k][0] - br[m][0], boots_br[k] - boots_br[m]) for k in names[1:]}
    n_pos = int(pd.Series(y).groupby(codes).max().sum())
    return Compared(names, a, br, ad, bd, n_deals, n_pos,
                    f"percentile bootstrap, {n_boot} paired resamples of the test deals (all their test-period "
                    f"snapshots, each deal weighing 1), seed {seed}")


def rate_table(keys: pd.Series, y: np.ndarray, w: np.ndarray, prior: float, strength: float = 10.0) -> dict[str, float]:
    """Historical bad rate per key (e.g. stage), smoothed toward ``prior`` with
    ``strength`` pseudo-deals."""
    df = pd.DataFrame({"k": keys.astype(str).to_numpy(), "y": y * w, "w": w})
    g = df.groupby("k")[["y", "w"]].sum()
    return ((g["y"] + strength * prior) / (g["w"] + strength)).to_dict()


# --------------------------------------------------------------------------- validation

def stage_controls(rows: pd.DataFrame) -> list[str]:
    """One indicator column per stage ordinal seen (``ctl_stage<k>``, the first
    ordinal as reference; ``ctl_stage_unknown`` when the stage is unknown)."""
    ords = sorted(int(o) for o in rows["stage_ord"].dropna().unique())
    names = []
    for o in ords[1:]:
        rows[f"ctl_stage{o}"] = (rows["stage_ord"] == o).astype(float)
        names.append(f"ctl_stage{o}")
    if rows["stage_ord"].isna().any():
        rows["ctl_stage_unknown"] = rows["stage_ord"].isna().astype(float)
        names.append("ctl_stage_unknown")
    return names


def stratified_auc(score: np.ndarray, y: np.ndarray, strata: np.ndarray, w: np.ndarray) -> np.ndarray:
    """AUC counting only pairs within the same stratum (e.g. the same stage): the
    discrimination the score adds to what the stratum already says. One value per
    row of ``w`` (b, n)."""
    w = np.atleast_2d(w)
    num = np.zeros(w.shape[0])
    den = np.zeros(w.shape[0])
    for s in np.unique(strata):
        m = strata == s
        if y[m].min() == y[m].max():
            continue
        a = weighted_auc(score[m], y[m], w[:, m])
        pairs = (w[:, m] * y[m]).sum(axis=1) * (w[:, m] * (1 - y[m])).sum(axis=1)
        num += np.nan_to_num(a) * pairs
        den += pairs
    with np.errstate(divide="ignore", invalid="ignore"):
        return num / den


def _chunks(total: int, n: int) -> list[int]:
    per = max(1, min(total, 4_000_000 // max(n, 1)))
    return [min(per, total - i) for i in range(0, total, per)]


@dataclass
class Validation:
    split_date: pd.Timestamp
    n_train_deals: int
    n_train_rows: int
    n_test: int
    n_test_bad: int
    compared: Compared | None
    signal_auc: tuple[float, float, float]  # within-stage AUC of the signals' contribution
    beats_stage: bool
    beats_forecast: bool
    signals_informative: bool
    fit: LogitFit | None
    reason: str = ""

    @property
    def passed(self) -> bool:
        return self.beats_stage and self.beats_forecast and self.signals_informative

    def summary(self) -> dict[str, object]:
        c = self.compared
        d: dict[str, object] = {"split_date": self.split_date.date().isoformat() if not pd.isna(self.split_date)
                                else None, "train_deals": self.n_train_deals, "train_snapshots": self.n_train_rows,
                                "test_deals": self.n_test, "test_lost_or_slipped": self.n_test_bad,
                                "signal_auc_within_stage": list(self.signal_auc), "beats_stage": self.beats_stage,
                                "beats_forecast_category": self.beats_forecast,
                                "signals_informative": self.signals_informative, "passed": self.passed,
                                "reason": self.reason}
        if c is not None:
            d.update({"auc": {k: list(v) for k, v in c.auc.items()},
                      "brier": {k: list(v) for k, v in c.brier.items()},
                      "auc_gain_vs": {k: list(v) for k, v in c.auc_diff.items()},
                      "brier_gain_vs": {k: list(v) for k, v in c.brier_diff.items()}, "method": c.method})
        return d


def split_date(deals: pd.DataFrame, quantile: float) -> pd.Timestamp:
    """The date by which ``quantile`` of the closed deals had closed."""
    closed = deals[deals["status"].isin(["won", "lost"])]["close_date"].dropna()
    if closed.empty:
        return pd.NaT
    return pd.Timestamp(closed.quantile(quantile)).normalize()


def training_rows(rows: pd.DataFrame) -> pd.DataFrame:
    return rows[(rows["source"] == "review_date") & rows["labelled"].astype(bool)]


def validate(rows: pd.DataFrame, signals: list[str], controls: list[str], split: pd.Timestamp, *,
             prior_sd: float, n_boot: int, seed: int, min_test: int, min_class: int,
             max_test_deals: int = 4000, min_gain: float = 0.02) -> Validation:
    """Train on the snapshots whose outcome was known before ``split``; test on the
    snapshots taken on or after it (each deal weighing 1; at most ``max_test_deals``
    deals, drawn at random with ``seed``)."""
    lab = training_rows(rows)
    tr = lab[lab["resolved_at"] < split]
    te = lab[lab["at"] >= split]
    ids = te["deal_id"].unique()
    if len(ids) > max_test_deals:  # a random subset of test deals keeps the bootstrap fast at scale
        keep = np.random.default_rng(seed).choice(ids, max_test_deals, replace=False)
        te = te[te["deal_id"].isin(set(keep))]
    nan3 = (float("nan"), float("nan"), float("nan"))
    n_te = int(te["deal_id"].nunique())
    v = Validation(split, int(tr["deal_id"].nunique()), len(tr), n_te,
                   int(te.groupby("deal_id")["bad"].max().sum()), None, nan3, False, False, False, None)
    y_tr = tr["bad"].to_numpy(dtype=float)
    if tr["deal_id"].nunique() < min_test or y_tr.sum() < min_class or (1 - y_tr).sum() < min_class:
        v.reason = "not enough closed history before the split date to train"
        return v
    w = deal_weights(tr["deal_id"])
    design = make_design(tr, signals, w, controls)
    fit = fit_logit(design.matrix(tr), y_tr, w, design, prior_sd=prior_sd, n_controls=design.n_controls)
    v.fit = fit
    y = te["bad"].to_numpy(dtype=float)
    n_good = n_te - v.n_test_bad
    if n_te < min_test or v.n_test_bad < min_class or n_good < min_class:
        v.reason = (f"not enough deals resolved after the split date to test ({n_te} deals, "
                    f"{v.n_test_bad} lost or slipped; need {min_test} and {min_class} of each outcome)")
        return v
    prior = float(np.average(y_tr, weights=w))
    st = rate_table(tr["stage_ord"].fillna(-1), y_tr, w, prior)
    fc = rate_table(tr["forecast_category"], y_tr, w, prior)
    z = design.matrix(te)
    scores = {"model": fit.predict(z),
              "stage": te["stage_ord"].fillna(-1).astype(str).map(st).fillna(prior).to_numpy(dtype=float),
              "forecast_category": te["forecast_category"].astype(str).map(fc).fillna(prior).to_numpy(dtype=float)}
    groups = te["deal_id"].to_numpy()
    v.compared = compare_scores(scores, y, groups=groups, n_boot=n_boot, seed=seed)
    # better = AUC gain with its 95% interval above 0 and a point estimate of at least ``min_gain``
    ds, dfc = v.compared.auc_diff["stage"], v.compared.auc_diff["forecast_category"]
    v.beats_stage = bool(ds[1] > 0 and ds[0] >= min_gain)
    v.beats_forecast = bool(dfc[1] > 0 and dfc[0] >= min_gain)
    sig = fit.contributions(z).sum(axis=1)
    strata = te["stage_ord"].fillna(-1).to_numpy()
    codes, _ = pd.factorize(groups)
    point = float(stratified_auc(sig, y, strata, (1.0 / np.bincount(codes)[codes])[None, :])[0])
    rng = np.random.default_rng(seed + 1)
    boots = np.concatenate([stratified_auc(sig, y, strata, cluster_weights(groups, b, rng))
                            for b in _chunks(min(n_boot, 1000), len(y))])
    boots = boots[np.isfinite(boots)]
    lo, hi = np.quantile(boots, [0.025, 0.975]) if len(boots) else (float("nan"), float("nan"))
    v.signal_auc = (point, float(lo), float(hi))
    v.signals_informative = bool(lo > 0.5)
    if not v.passed:
        why = []
        if not v.beats_stage:
            why.append("does not beat the stage baseline")
        if not v.beats_forecast:
            why.append("does not beat the forecast-category baseline")
        if not v.signals_informative:
            why.append("the signals add no discrimination within stages")
        v.reason = "; ".join(why)
    return v
