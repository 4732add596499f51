"""Intuition lens: make the sense of a fragile deal shareable, and check what past changes did.

1. Fragility signals: each deal as it stood at every weekly review date
   (``_fragility``), an interpretable sign-constrained, L2-regularised logistic
   regression of "lost or slipped" on standardised signals with the stage as a
   control, per-deal contributions in words.
2. Honest validation: time split, AUC and Brier vs the CRM stage rate and the
   rep's forecast category; open deals are flagged ``fragile_deal`` only when
   the model beats both and its signals discriminate within stages.
3. Gut calls (``intuitions``): each person's calibration and which signals
   their calls track (``_gutcalls``) -> ``intuition_calibration``.
4. Org events: interrupted time series before/after each event with a placebo
   (``_events``) -> ``org_change_effect``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import stats as sps

from ..models import Effect, Evidence, Finding, Metric, Observation, Scope
from ._crm import jsonable
from ._events import METRICS, EventEffect, event_effects, load_events, metric_series
from ._fragility import (
    SIGNAL_BY_NAME,
    SIGNALS,
    LogitFit,
    Snapshots,
    Validation,
    build_snapshots,
    conversation_signals,
    deal_weights,
    fit_logit,
    make_design,
    rate_table,
    split_date,
    stage_controls,
    training_rows,
    validate,
)
from ._gutcalls import Calibration, calibrate, load_gut_calls
from .base import Lens, LensContext, LensResult

LENS = "intuition"


def _obs(kind: str | None, scope: Scope | None, statement: str, reason: str, n: int | None = None,
         **details: Any) -> Observation:
    return Observation(lens=LENS, kind=kind, scope=scope, statement=statement, reason=reason, n=n,
                       details=jsonable(details))


class IntuitionLens(Lens):
    name = LENS
    title = "Intuition made shareable: fragile deals, gut calls, what past changes did"
    kinds = ("fragile_deal", "intuition_calibration", "org_change_effect")
    requires = ("deals",)
    default_params: ClassVar[dict[str, Any]] = {
        "every_days": 7,  # review-date spacing of the snapshots
        "split_quantile": 0.7,  # train on the history up to the date by which 70% of closed deals had closed
        "prior_sd": 1.0,  # prior sd of a standardised signal coefficient (log-odds per sd)
        "n_boot": 1000,
        "seed": 0,
        "min_test_deals": 40,
        "max_test_deals": 4000,  # larger test sets are subsampled (seeded) to keep the bootstrap fast
        "min_auc_gain": 0.02,  # materiality: the model must add at least 0.02 AUC over each baseline
        "min_per_class": 15,
        "small_data_deals": 200,  # below this many training deals the estimates are mostly prior
        "min_excess_risk": 0.10,  # a flagged deal's risk exceeds its stage's rate by at least 10 pts
        "max_deal_findings": 20,
        "max_train_rows": 400_000,
        "min_gut_calls": 10,
        "event_window_weeks": 26,
        "event_min_n": 8,
        "event_min_effect_sd": 0.25,  # materiality: level change >= 0.25 sd of the before values
        # FDR level for org-event effects: stricter than 5% because standard errors clustered on a few
        # calendar weeks each side are known to be too small (few clusters), so nominal 5% over-rejects
        "event_q": 0.01,
    }

    def run(self, ctx: LensContext) -> LensResult:
        p = self.params(ctx)
        res = LensResult(params={k: v for k, v in p.items()}, methods=[])
        gut = load_gut_calls(ctx)
        has_changes = ctx.count("deal_changes") > 0
        snap: Snapshots | None = None
        if has_changes:
            from ._crm import load_deals

            split = split_date(load_deals(ctx), p["split_quantile"])
            extra = gut[["deal_id", "at"]] if len(gut) else None
            snap = build_snapshots(ctx, every_days=p["every_days"], extra=extra,
                                   norms_before=None if pd.isna(split) else split, now=True)
            conversation_signals(ctx, snap)
            fit, val = self._fragility(ctx, snap, split, p, res)
        else:
            fit, val = None, None
            res.observations.append(_obs("fragile_deal", Scope("org", "org"),
                                         "No deal history (deal_changes): deals cannot be seen as they stood at past "
                                         "reviews, so fragility signals and gut calls were not assessed. Export the "
                                         "field history (Salesforce OpportunityFieldHistory, HubSpot property history).",
                                         "missing_data"))
        if len(gut) and snap is not None:
            self._gut_calls(ctx, snap, gut, fit, val, p, res)
        elif not len(gut):
            res.params["gut_calls"] = "skipped: no intuitions table"
        self._events(ctx, snap, p, res)
        return res

    # ------------------------------------------------------------------ fragility
    def _fragility(self, ctx: LensContext, snap: Snapshots, split: pd.Timestamp, p: dict[str, Any],
                   res: LensResult) -> tuple[LogitFit | None, Validation | None]:
        rows = snap.rows
        signals = [s.name for s in SIGNALS if s.group in snap.groups]
        controls = stage_controls(rows)
        res.methods += [
            "Fragility: every open deal is reconstructed at every weekly review date from deal_changes (stage and "
            "its age vs the team's median stage duration, close-date pushes, amount, discount, forecast category) "
            "and, where transcripts exist, from its customer calls and the reviews that discussed it, using only "
            "what was recorded before that date.",
            "Outcome: lost, or closed after the end of the fiscal quarter its expected close date lay in at the "
            "snapshot (slipped); deals still open are counted once their expected quarter has ended.",
            f"Model: logistic regression on standardised signals with the stage as control; each signal's "
            f"coefficient has a N(0, {p['prior_sd']}^2) prior (L2 shrinkage toward 'this signal does not matter') "
            "and is constrained to be >= 0 (a fragility signal can only raise risk); each deal weighs 1 in total "
            "whatever its number of snapshots; intervals from the Laplace approximation.",
            "Validation: time split at the date by which "
            f"{int(100 * p['split_quantile'])}% of closed deals had closed; trained on outcomes known before it, "
            "tested on the snapshots taken after it (each deal weighing 1); AUC and Brier score vs two baselines (historical "
            "lost-or-slipped rate of the deal's CRM stage; of the rep's forecast category), paired percentile "
            f"bootstrap ({p['n_boot']} resamples). Deals are flagged only when the model's AUC gain over both "
            f"baselines is at least {p['min_auc_gain']} with a 95% interval above 0 and the signals discriminate within stages (stage-stratified "
            "AUC interval above 0.5).",
        ]
        omitted = {g: why for g, why in snap.omitted.items()}
        res.params["signal_groups"] = list(snap.groups)
        res.params["signals_omitted"] = omitted
        for g, why in omitted.items():
            res.observations.append(_obs("fragile_deal", Scope("org", "org"),
                                         f"Fragility signals from {g} left out: {why}.", "missing_data"))
        if pd.isna(split):
            res.observations.append(_obs("fragile_deal", Scope("org", "org"),
                                         "No closed deal: no history to learn fragility from.", "below_min_n", 0))
            return None, None
        val = validate(rows, signals, controls, split, prior_sd=p["prior_sd"], n_boot=p["n_boot"], seed=p["seed"],
                       min_test=p["min_test_deals"], min_class=p["min_per_class"],
                       max_test_deals=p["max_test_deals"], min_gain=p["min_auc_gain"])
        lab = training_rows(rows)
        if len(lab) > p["max_train_rows"]:
            lab = lab.iloc[np.random.default_rng(p["seed"]).choice(len(lab), p["max_train_rows"], replace=False)]
        n_deals = int(lab["deal_id"].nunique())
        fit: LogitFit | None = None
        if n_deals >= 10 and 0 < lab["bad"].sum() < len(lab):
            w = deal_weights(lab["deal_id"])
            design = make_design(lab, signals, w, controls)
            fit = fit_logit(design.matrix(lab), lab["bad"].to_numpy(dtype=float), w, design,
                            prior_sd=p["prior_sd"], n_controls=design.n_controls)
        res.params["validation"] = val.summary()
        res.params["small_data"] = n_deals < p["small_data_deals"]
        if fit is not None:
            res.metrics["fragility_model"] = self._coef_table(fit)
            res.params["model"] = {"training_deals": n_deals, "training_snapshots": len(lab),
                                   "converged": fit.converged, "prior_sd": fit.prior_sd}
        if n_deals < p["small_data_deals"]:
            res.observations.append(_obs(
                "fragile_deal", Scope("org", "org"),
                f"Small history ({n_deals} deals with a known outcome, fewer than {p['small_data_deals']}): the signal "
                f"weights are pulled strongly toward the prior (no effect), their intervals are wide; read them as "
                f"hypotheses.", "small_data", n_deals))
        if val.compared is not None:
            res.metrics["fragility_validation"] = self._validation_table(val)
        if not val.passed:
            c = val.compared
            auc_txt = ""
            if c is not None:
                a = c.auc
                auc_txt = (f" Test AUC: model {a['model'][0]:.2f} ({a['model'][1]:.2f}-{a['model'][2]:.2f}), stage "
                           f"{a['stage'][0]:.2f}, forecast category {a['forecast_category'][0]:.2f}; signals within "
                           f"stages {val.signal_auc[0]:.2f} ({val.signal_auc[1]:.2f}-{val.signal_auc[2]:.2f}).")
            res.observations.append(_obs(
                "fragile_deal", Scope("org", "org"),
                f"Fragility model not validated: {val.reason}.{auc_txt} No deal is flagged: in this history the "
                "signals do not tell more than the CRM stage and the reps' own forecast categories.",
                "model_not_better", val.n_test, validation=val.summary()))
            return fit, val
        if fit is None:
            return fit, val
        self._flag(ctx, snap, fit, val, p, res)
        return fit, val

    @staticmethod
    def _coef_table(fit: LogitFit) -> pd.DataFrame:
        d = fit.design
        se = np.sqrt(np.maximum(np.diag(fit.cov)[1:], 0))
        rows = []
        for i, n in enumerate(d.names):
            c = float(fit.coef[1 + i])
            sig = SIGNAL_BY_NAME.get(n)
            rows.append({"signal": n, "kind": "control" if i < d.n_controls else "signal",
                         "en": sig.en if sig else n, "fr": sig.fr if sig else n, "coef_per_sd": c,
                         "ci_low": max(c - 1.96 * se[i], 0.0) if i >= d.n_controls else c - 1.96 * se[i],
                         "ci_high": c + 1.96 * se[i], "odds_ratio_per_sd": float(np.exp(c)),
                         "mean": float(d.mean[i]), "sd": float(d.sd[i])})
        return pd.DataFrame(rows)

    @staticmethod
    def _validation_table(val: Validation) -> pd.DataFrame:
        c = val.compared
        assert c is not None
        rows = []
        for k in c.names:
            rows.append({"score": k, "auc": c.auc[k][0], "auc_low": c.auc[k][1], "auc_high": c.auc[k][2],
                         "brier": c.brier[k][0], "brier_low": c.brier[k][1], "brier_high": c.brier[k][2],
                         "auc_gain": c.auc_diff[k][0] if k in c.auc_diff else None,
                         "auc_gain_low": c.auc_diff[k][1] if k in c.auc_diff else None,
                         "auc_gain_high": c.auc_diff[k][2] if k in c.auc_diff else None,
                         "n_test": c.n, "n_test_bad": c.n_pos})
        rows.append({"score": "signals_within_stage", "auc": val.signal_auc[0], "auc_low": val.signal_auc[1],
                     "auc_high": val.signal_auc[2], "n_test": c.n, "n_test_bad": c.n_pos})
        return pd.DataFrame(rows)

    def _flag(self, ctx: LensContext, snap: Snapshots, fit: LogitFit, val: Validation, p: dict[str, Any],
              res: LensResult) -> None:
        rows = snap.rows
        lab = training_rows(rows)
        w = deal_weights(lab["deal_id"])
        prior = float(np.average(lab["bad"].to_numpy(dtype=float), weights=w))
        st = rate_table(lab["stage_ord"].fillna(-1), lab["bad"].to_numpy(dtype=float), w, prior)
        now = rows[rows["source"] == "now"].copy()
        if now.empty:
            return
        z = fit.design.matrix(now)
        eta = fit.linear(z)
        se = fit.linear_se(z)
        now["risk"] = 1 / (1 + np.exp(-eta))
        now["risk_low"] = 1 / (1 + np.exp(-(eta - 1.96 * se)))
        now["risk_high"] = 1 / (1 + np.exp(-(eta + 1.96 * se)))
        now["stage_rate"] = now["stage_ord"].fillna(-1).astype(str).map(st).fillna(prior).to_numpy(dtype=float)
        rate = np.clip(now["stage_rate"].to_numpy(dtype=float), 1e-4, 1 - 1e-4)
        now["confidence"] = sps.norm.cdf((eta - np.log(rate / (1 - rate))) / np.maximum(se, 1e-9))
        contrib = fit.contributions(z)
        names = fit.design.signals
        order = np.argsort(-contrib, axis=1)[:, :3]
        tops = []
        for i in range(len(now)):
            tops.append([(names[j], float(contrib[i, j])) for j in order[i] if contrib[i, j] > 0.05])
        now["top_signals"] = [";".join(n for n, _ in t) for t in tops]
        now["flagged"] = ((now["risk_low"] > now["stage_rate"])
                          & (now["risk"] - now["stage_rate"] >= p["min_excess_risk"])
                          & np.array([len(t) > 0 for t in tops]))
        now["value_at_stake"] = now["amount"].fillna(0) * (now["risk"] - now["stage_rate"]).clip(lower=0)
        table = now[["deal_id", "owner", "team", "amount", "stage_ord", "risk", "risk_low", "risk_high",
                     "stage_rate", "confidence", "top_signals", "flagged", "value_at_stake"]].copy()
        res.metrics["fragile_deals"] = table.sort_values("value_at_stake", ascending=False).reset_index(drop=True)
        flagged = now[now["flagged"]].sort_values("value_at_stake", ascending=False)
        res.params["open_deals_scored"] = len(now)
        res.params["open_deals_flagged"] = len(flagged)
        top_idx = {int(k): tops[pos] for pos, k in enumerate(now.index)}
        ev_src = _EvidenceSource(ctx)
        for idx, r in flagged.head(p["max_deal_findings"]).iterrows():
            res.findings.append(self._deal_finding(r, top_idx[int(idx)], val, fit, ev_src))
        if len(flagged) > p["max_deal_findings"]:
            res.observations.append(_obs(
                "fragile_deal", Scope("org", "org"),
                f"{len(flagged)} open deals show fragility signals; the {p['max_deal_findings']} with the most value "
                f"at stake are findings, the others are listed in the fragile_deals table.", "listed_in_table",
                len(flagged)))

    def _deal_finding(self, r: pd.Series, top: list[tuple[str, float]], val: Validation, fit: LogitFit,
                      ev_src: _EvidenceSource) -> Finding:
        did = str(r["deal_id"])
        words_en, words_fr, sig_params = [], [], []
        for name, c in top:
            en, fr = describe(name, r)
            words_en.append(f"{en} (+{c:.2f})")
            words_fr.append(f"{fr} (+{c:.2f})")
            sig_params.append({"signal": name, "contribution_log_odds": round(c, 3), "en": en, "fr": fr})
        risk, lo, hi, base = float(r["risk"]), float(r["risk_low"]), float(r["risk_high"]), float(r["stage_rate"])
        a = val.compared.auc["model"] if val.compared is not None else (float("nan"),) * 3
        statement = (f"Deal {did}: estimated risk of being lost or slipping {risk:.0%} (95% interval {lo:.0%} to "
                     f"{hi:.0%}) vs {base:.0%} for deals at the same stage. Signals that preceded losses and slips in "
                     f"this history: {'; '.join(words_en)}. (Model validated on later deals: AUC {a[0]:.2f}.)")
        statement_fr = (f"Affaire {did} : risque estimé de perte ou de glissement {risk:.0%} (intervalle à 95 % "
                        f"{lo:.0%} à {hi:.0%}) contre {base:.0%} pour les affaires à la même étape. Signaux qui ont "
                        f"précédé les pertes et les glissements dans cet historique : {' ; '.join(words_fr)}. "
                        f"(Modèle validé sur des affaires ultérieures : AUC {a[0]:.2f}.)")
        evidence = [Evidence(type="deal", deal_id=did)] + ev_src.for_deal(did, [n for n, _ in top])
        params = {"title_fr": f"L'affaire {did} présente les signaux qui ont précédé pertes et glissements",
                  "statement_fr": statement_fr,
                  "question_fr": "Que faudrait-il apprendre du client pour savoir si cette affaire est encore réelle ?",
                  "signals": sig_params, "risk": risk, "stage_rate": base}
        return Finding(
            kind="fragile_deal", lens=LENS, scope=Scope("deal", did),
            title=f"Deal {did} shows the signals that preceded losses and slips",
            statement=statement, metric=Metric("risk_lost_or_slipped", risk, base, "share"),
            effect=Effect(risk - base, lo - base, hi - base,
                          "logistic model, Laplace-approximation interval of the deal's risk, minus its stage rate"),
            n=int(fit.n_eff), confidence=float(min(max(r["confidence"], 0.0), 0.999)), evidence=evidence[:8],
            question="What would we need to learn from the customer to know whether this deal is still real?",
            value_at_stake=float(r["value_at_stake"]), params=jsonable(params))

    # ------------------------------------------------------------------ gut calls
    def _gut_calls(self, ctx: LensContext, snap: Snapshots, gut: pd.DataFrame, fit: LogitFit | None,
                   val: Validation | None, p: dict[str, Any], res: LensResult) -> None:
        rows = snap.rows
        ex = rows[rows["source"] == "extra"].drop_duplicates(["deal_id", "at"])
        calls = gut.merge(ex, on=["deal_id", "at"], how="left")
        signals = [s.name for s in SIGNALS if s.group in snap.groups]
        if fit is not None:
            calls["risk"] = fit.predict(fit.design.matrix(calls))
            coef = {n: float(c) for n, c in zip(fit.design.signals, fit.coef[1 + fit.design.n_controls:], strict=True)}
        else:
            calls["risk"] = np.nan
            coef = {}
        people = ctx.df("SELECT name, lower(role) AS role FROM people")
        roles = dict(zip(people["name"].astype(str), people["role"].astype(str), strict=False))
        cals = calibrate(calls, roles, signals, coef, p["min_gut_calls"])
        res.methods.append(
            "Gut calls: each recorded call is matched with the deal as it stood at the end of that day and with its "
            "outcome (lost or slipped); per person, the lost-or-slipped rate of 'fragile' and 'solid' calls with "
            "Wilson intervals, their difference with a Newcombe interval (Benjamini-Hochberg over people); which "
            "signals the calls track: correlation of 'called fragile' with each signal at the time (Fisher-z "
            "interval).")
        res.params["gut_calls"] = {"calls": len(gut), "labelled": int(calls["bad"].notna().sum()),
                                   "people_assessed": len(cals)}
        if not cals:
            res.observations.append(_obs("intuition_calibration", Scope("org", "org"),
                                         f"Gut calls recorded ({len(gut)}), but no person has {p['min_gut_calls']} "
                                         "fragile/solid calls with a known outcome yet.", "below_min_n", len(gut)))
            return
        res.metrics["gut_calls"] = pd.DataFrame([c.row() for c in cals])
        res.metrics["gut_call_signals"] = pd.DataFrame([
            {"person": c.person, "signal": t.signal, "r": t.r, "ci_low": t.low, "ci_high": t.high, "n": t.n,
             "model_coef": t.coef} for c in cals for t in c.tracks])
        for c in cals:
            self._calibration_item(c, res)

    def _calibration_item(self, c: Calibration, res: LensResult) -> None:
        level = "manager" if c.role in ("manager", "director") else "rep"
        scope = Scope(level, c.person)  # type: ignore[arg-type]
        tracks = [t for t in c.tracks if t.low > 0]
        ignores = [t for t in c.tracks if t.coef > 0.1 and not t.low > 0]
        unsupported = [t for t in tracks if t.coef <= 0.01]
        tr_en = ", ".join(SIGNAL_BY_NAME[t.signal].en + f" (r={t.r:.2f})" for t in tracks) or "none of the signals"
        tr_fr = ", ".join(SIGNAL_BY_NAME[t.signal].fr + f" (r={t.r:.2f})" for t in tracks) or "aucun des signaux"
        ig_en = ", ".join(SIGNAL_BY_NAME[t.signal].en for t in ignores)
        ig_fr = ", ".join(SIGNAL_BY_NAME[t.signal].fr for t in ignores)
        pr, so = c.precision, c.solid_rate
        base = (f"{c.person}'s 'fragile' calls were lost or slipped {pr.estimate:.0%} of the time (95% interval "
                f"{pr.low:.0%}-{pr.high:.0%}, {c.n_fragile} calls) vs {so.estimate:.0%} ({so.low:.0%}-{so.high:.0%}, "
                f"{c.n_solid} calls) for their 'solid' calls; base rate {c.base_rate:.0%}.")
        base_fr = (f"Les affaires jugées « fragiles » par {c.person} ont été perdues ou ont glissé dans "
                   f"{pr.estimate:.0%} des cas (intervalle à 95 % {pr.low:.0%}-{pr.high:.0%}, {c.n_fragile} avis) "
                   f"contre {so.estimate:.0%} ({so.low:.0%}-{so.high:.0%}, {c.n_solid} avis) pour les « solides » ; "
                   f"taux de base {c.base_rate:.0%}.")
        more = f" Their calls track: {tr_en}."
        more_fr = f" Ses avis suivent : {tr_fr}."
        if ig_en:
            more += f" They do not track signals the data weigh: {ig_en}."
            more_fr += f" Ils ne suivent pas des signaux que les données pèsent : {ig_fr}."
        if unsupported:
            more += " Tracked but not supported by the outcomes: " + ", ".join(
                SIGNAL_BY_NAME[t.signal].en for t in unsupported) + "."
        if c.disagree_n:
            more += (f" When they and the model disagreed ({c.disagree_n} calls), they were right "
                     f"{c.disagree_person_right} times.")
            more_fr += (f" Quand son avis et le modèle divergeaient ({c.disagree_n} avis), l'avis avait raison "
                        f"{c.disagree_person_right} fois.")
        d = c.diff
        significant = (np.isfinite(c.q) and c.q < 0.05 and c.n_fragile >= 10 and c.n_solid >= 10
                       and (d.low > 0 or d.high < 0))
        details = {"row": c.row(), "tracks": [t.signal for t in tracks], "ignores": [t.signal for t in ignores]}
        if not significant:
            res.observations.append(_obs("intuition_calibration", scope, base + more + " Not settled: the difference "
                                         "between 'fragile' and 'solid' calls is within noise or too few calls.",
                                         "not_significant", c.n_fragile + c.n_solid, **details))
            return
        informative = d.estimate > 0
        title = (f"{c.person}'s gut calls anticipate losses and slips: their intuition can be written down"
                 if informative else f"{c.person}'s gut calls run against what happened")
        title_fr = (f"Les avis de {c.person} anticipent pertes et glissements : son intuition peut s'écrire"
                    if informative else f"Les avis de {c.person} vont à l'inverse de ce qui s'est passé")
        q_en = ("Which of these cues could the whole team check on every deal, and who else reads deals this way?"
                if informative else "What do these calls rest on, and what would make them meet the outcomes?")
        q_fr = ("Lesquels de ces indices toute l'équipe pourrait-elle vérifier sur chaque affaire, et qui d'autre lit "
                "les affaires ainsi ?" if informative else
                "Sur quoi ces avis reposent-ils, et qu'est-ce qui les rapprocherait des résultats ?")
        res.findings.append(Finding(
            kind="intuition_calibration", lens=LENS, scope=scope, title=title, statement=base + more,
            metric=Metric("bad_rate_when_called_fragile", pr.estimate, c.base_rate, "share"),
            effect=Effect(d.estimate, d.low, d.high, "difference fragile - solid, Newcombe hybrid score"),
            n=c.n_fragile + c.n_solid, confidence=float(min(max(1 - c.q, 0.0), 0.999)),
            evidence=[], question=q_en,
            params=jsonable({"title_fr": title_fr, "statement_fr": base_fr + more_fr, "question_fr": q_fr,
                             "p_value": d.p_value, "q_value": c.q, **details})))

    # ------------------------------------------------------------------ org events
    def _events(self, ctx: LensContext, snap: Snapshots | None, p: dict[str, Any], res: LensResult) -> None:
        if ctx.count("org_events") == 0:
            res.params["org_events"] = "skipped: no org_events table"
            return
        events = load_events(ctx)
        series = metric_series(ctx, None if snap is None else snap.rows)
        effects = event_effects(ctx, events, series, window_weeks=p["event_window_weeks"], min_n=p["event_min_n"])
        res.methods.append(
            f"Org events: for each event, each metric's dated observations in a window of up to "
            f"{p['event_window_weeks']} weeks each side (cut at neighbouring events) are regressed on a step at the "
            "event date and the phase of the fiscal quarter (interrupted time series, OLS with standard errors clustered "
            "by calendar week; "
            "the estimate with a common linear trend is reported alongside as a sensitivity check); "
            f"Benjamini-Hochberg over all the events and metrics at FDR {p['event_q']:g} (cluster-robust errors on "
            "few weeks understate uncertainty); placebo: the same regression at the midpoint of the "
            "before-window, where nothing changed.")
        res.params["org_events"] = {"events": len(events), "metrics": sorted(series), "tests": len(effects)}
        if not effects:
            res.observations.append(_obs("org_change_effect", Scope("org", "org"),
                                         f"{len(events)} org events, but not enough data on both sides of any "
                                         f"(need {p['event_min_n']} observations each side).", "below_min_n"))
            return
        res.metrics["org_event_effects"] = pd.DataFrame([e.row() for e in effects])
        placebo = {(e.description.removeprefix("placebo for "), e.metric): e for e in effects if e.placebo}
        for e in effects:
            if e.placebo:
                continue
            pl = placebo.get((e.event_date.date().isoformat(), e.metric))
            self._event_item(e, pl, p, res)

    def _event_item(self, e: EventEffect, pl: EventEffect | None, p: dict[str, Any], res: LensResult) -> None:
        en, fr, unit = METRICS[e.metric]
        scale = 100.0 if unit == "share" else 1.0
        u = " pts" if unit in ("share", "pts") else ""
        when = e.event_date.date().isoformat()
        txt = (f"After {when} ({e.event_kind}: {e.description}), {en} moved by {scale * e.level_change:+.2f}{u} "
               f"(95% interval {scale * e.ci_low:+.2f} to {scale * e.ci_high:+.2f}; mean {scale * e.mean_before:.2f} "
               f"before, {scale * e.mean_after:.2f} after; {e.n_before} and {e.n_after} observations).")
        txt_fr = (f"Après le {when} ({e.event_kind} : {e.description}), {fr} a varié de "
                  f"{scale * e.level_change:+.2f}{u} (intervalle à 95 % {scale * e.ci_low:+.2f} à "
                  f"{scale * e.ci_high:+.2f} ; moyenne {scale * e.mean_before:.2f} avant, {scale * e.mean_after:.2f} "
                  f"après).")
        material = abs(e.level_change) >= p["event_min_effect_sd"] * (e.sd_before if np.isfinite(e.sd_before) else 0)
        placebo_clean = pl is None or not (pl.p < 0.05)
        sig = np.isfinite(e.q) and e.q < p["event_q"] and (e.ci_low > 0 or e.ci_high < 0)
        details = {"event_date": when, "metric": e.metric, "level_change": e.level_change, "ci_low": e.ci_low,
                   "ci_high": e.ci_high, "p": e.p, "q": e.q,
                   "placebo": None if pl is None else {"date": pl.event_date.date().isoformat(),
                                                       "level_change": pl.level_change, "ci_low": pl.ci_low,
                                                       "ci_high": pl.ci_high, "p": pl.p}}
        if not (sig and material and placebo_clean):
            why = ("the placebo date also shows a jump: the series moves on its own" if sig and not placebo_clean
                   else "below the materiality threshold" if sig else "no change distinguishable from noise")
            res.observations.append(_obs("org_change_effect", Scope("org", "org"), f"{txt} Not a finding: {why}.",
                                         "not_significant", e.n_before + e.n_after, **details))
            return
        res.findings.append(Finding(
            kind="org_change_effect", lens=LENS, scope=Scope("org", "org"),
            title=f"What the change of {when} did: {en} {'rose' if e.level_change > 0 else 'fell'}",
            statement=txt + (" A placebo date before the change shows no such jump." if pl is not None else ""),
            metric=Metric(e.metric, e.mean_after, e.mean_before, unit),
            effect=Effect(e.level_change, e.ci_low, e.ci_high,
                          "interrupted time series: step at the event date, quarter-phase adjusted, OLS clustered by week"),
            n=e.n_before + e.n_after, confidence=float(min(max(1 - e.q, 0.0), 0.999)), evidence=[],
            question="Was this the effect the change was meant to have, and who decided to keep it?",
            params=jsonable({"title_fr": f"Ce qu'a produit le changement du {when} : {fr}",
                             "statement_fr": txt_fr,
                             "question_fr": "Était-ce l'effet recherché par ce changement, et qui a décidé de le "
                                            "garder ?", **details})))


def describe(name: str, r: pd.Series) -> tuple[str, str]:
    """A signal's value for one deal, in words (EN, FR)."""
    v = float(r.get(name, np.nan)) if name in r else float("nan")
    if name == "pushes":
        return (f"close date pushed back {v:.0f} time(s)", f"date de clôture repoussée {v:.0f} fois")
    if name == "pushed_days":
        d = np.expm1(v)
        return (f"close date pushed back {d:.0f} days in total", f"clôture repoussée de {d:.0f} jours au total")
    if name == "stage_age":
        days = float(r.get("stage_days", np.nan))
        return (f"{days:.0f} days in its current stage, {np.exp(v):.1f}x the team's usual",
                f"{days:.0f} jours dans son étape actuelle, {np.exp(v):.1f} fois l'habitude de l'équipe")
    if name == "amount_cut":
        return (f"amount cut by {1 - np.exp(-v):.0%} since creation", f"montant réduit de {1 - np.exp(-v):.0%}")
    if name == "clarification_debt":
        k = round(v * 4)
        return (f"{k} of 4 decision elements (decision maker, process, criteria, budget) never explored with the "
                f"customer", f"{k} éléments de décision sur 4 (décideur, processus, critères, budget) jamais explorés "
                f"avec le client")
    if name == "low_customer_talk":
        return (f"the customer spoke {1 - v:.0%} of the words in its calls",
                f"le client a prononcé {1 - v:.0%} des mots de ses appels")
    if name == "customer_talk_falling":
        return (f"customer talk share down {100 * v:.0f} pts from the first to the latest call",
                f"part de parole du client en baisse de {100 * v:.0f} pts du premier au dernier appel")
    if name == "pressure_on_customer":
        return (f"{np.expm1(v):.0f} pressure turn(s) on the customer in its calls",
                f"{np.expm1(v):.0f} tour(s) de pression sur le client pendant ses appels")
    if name == "review_recurrence":
        return (f"discussed in {np.expm1(v):.0f} reviews", f"discutée dans {np.expm1(v):.0f} revues")
    if name == "review_assumptions":
        return (f"{v:.0%} of the review talk about it is assumption",
                f"{v:.0%} de ce qui s'en dit en revue est supposition")
    s = SIGNAL_BY_NAME.get(name)
    return (s.en, s.fr) if s else (name, name)


class _EvidenceSource:
    """Evidence for a deal's top signals: its close-date pushes and stage entry, and
    quotes (pressure in its calls, assumptions about it in reviews)."""

    def __init__(self, ctx: LensContext) -> None:
        self.ctx = ctx

    def for_deal(self, deal_id: str, signals: list[str]) -> list[Evidence]:
        out: list[Evidence] = []
        ctx = self.ctx
        if any(s in ("pushes", "pushed_days", "overdue") for s in signals):
            ch = ctx.df("""SELECT changed_at, old_value, new_value FROM deal_changes
                           WHERE deal_id = ? AND lower(field) = 'close_date' AND old_value IS NOT NULL
                             AND old_value <> '' AND new_value > old_value ORDER BY changed_at DESC LIMIT 3""",
                        [deal_id])
            out += [Evidence(type="deal_change", deal_id=deal_id, changed_at=pd.Timestamp(r.changed_at).isoformat(),
                             field="close_date", old_value=str(r.old_value), new_value=str(r.new_value),
                             note="close date pushed back") for r in ch.itertuples()]
        if "stage_age" in signals:
            ch = ctx.df("""SELECT changed_at, old_value, new_value FROM deal_changes
                           WHERE deal_id = ? AND lower(field) = 'stage' ORDER BY changed_at DESC LIMIT 1""", [deal_id])
            out += [Evidence(type="deal_change", deal_id=deal_id, changed_at=pd.Timestamp(r.changed_at).isoformat(),
                             field="stage", old_value=None if not r.old_value else str(r.old_value),
                             new_value=str(r.new_value), note="entered its current stage")
                    for r in ch.itertuples()]
        if "amount_cut" in signals or "early_discount" in signals:
            fld = "amount" if "amount_cut" in signals else "discount_pct"
            ch = ctx.df("SELECT changed_at, old_value, new_value FROM deal_changes WHERE deal_id = ? "
                        "AND lower(field) = ? ORDER BY changed_at DESC LIMIT 1", [deal_id, fld])
            out += [Evidence(type="deal_change", deal_id=deal_id, changed_at=pd.Timestamp(r.changed_at).isoformat(),
                             field=fld, old_value=None if not r.old_value else str(r.old_value),
                             new_value=str(r.new_value)) for r in ch.itertuples()]
        label = {"pressure_on_customer": ("customer_call", "pressure"),
                 "review_assumptions": ("review", "assumption")}
        for s in signals:
            if s in label:
                out += self._quotes(deal_id, *label[s])
            elif s in ("clarification_debt", "single_threaded", "low_customer_talk", "customer_talk_falling"):
                out += self._calls(deal_id, SIGNAL_BY_NAME[s].en)
        return out

    def _calls(self, deal_id: str, note: str) -> list[Evidence]:
        c = self.ctx.df("""SELECT conversation_id FROM conversations WHERE lower(kind) = 'customer_call'
                           AND list_contains(string_split(coalesce(deal_ids, ''), ';'), ?)
                           ORDER BY started_at LIMIT 2""", [deal_id])
        return [Evidence(type="conversation", deal_id=deal_id, conversation_id=str(x), note=note)
                for x in c["conversation_id"]]

    def _quotes(self, deal_id: str, kind: str, label: str) -> list[Evidence]:
        kinds = "('customer_call')" if kind == "customer_call" else "('pipeline_review', 'forecast_call')"
        q = self.ctx.df(f"""
            SELECT u.conversation_id, u.start_s, lower(u.role) AS role, u.text FROM conversations c
            JOIN utterances u USING (conversation_id)
            JOIN annotations a ON a.conversation_id = u.conversation_id AND a.turn = u.turn
            WHERE lower(c.kind) IN {kinds} AND list_contains(a.labels, ?) AND lower(u.role) <> 'customer'
              AND list_contains(string_split(coalesce(c.deal_ids, ''), ';'), ?)
            ORDER BY c.started_at DESC, u.turn LIMIT 2""", [label, deal_id])
        return [Evidence(type="utterance", deal_id=deal_id, conversation_id=str(r.conversation_id),
                         start_s=None if pd.isna(r.start_s) else float(r.start_s), speaker_role=str(r.role),
                         quote=" ".join(str(r.text).split())[:400]) for r in q.itertuples()]
