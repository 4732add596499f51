"""English rules added in v5 (issue #3): one 'counts' and one 'does not count'
case per changed label, plus the lexicon's [[combine]] / [[suppress]] tables.

The strings are written for these tests from the annotation guide; they are
not taken from the gold files.
"""

from __future__ import annotations

import pytest

from miroir.language import Annotation
from miroir.language import annotate as _annotate
from miroir.language.lexicon import LexiconError, load_lexicon


def annotate(text: str, lang: str | None = None, role: str | None = None, context: str | None = None) -> Annotation:
    """The hand-written rules alone (``data/<lang>.toml``): this file pins them; the learned
    layer on top of them is tested in test_learned.py and on the guide's examples."""
    return _annotate(text, lang, role, context, learned=False)


def labels(text: str, role: str = "rep", context: str = "customer_call") -> set[str]:
    return set(annotate(text, "en", role, context).labels)


# ---------------------------------------------------------------- timeline


@pytest.mark.parametrize("text", [
    "We plan to sign before the 15th.",
    "The contract expires at the end of the quarter, so we must decide by then.",
    "They want to go live in September.",
    "We could start the rollout after the summer.",
])
def test_timeline_date_with_a_deal_step(text: str) -> None:
    assert "timeline" in labels(text, "customer")


@pytest.mark.parametrize("text", [
    "Our warehouse manager retired in April.",
    "Could we do the workshop on the 8th?",
    "It took three days to reconcile the invoices.",
    "We hired two people last year.",
])
def test_a_date_alone_is_not_timeline(text: str) -> None:
    assert "timeline" not in labels(text, "customer")


def test_timeline_evidence_is_the_date() -> None:
    text = "We need it live by the 3rd of May."
    ann = annotate(text, "en", "customer", "customer_call")
    assert "timeline" in ann.labels
    assert any("may" in ev.lower() or "3rd" in ev for ev in ann.evidence(text, "timeline"))


# ---------------------------------------------------------------- pressure


@pytest.mark.parametrize("text,role,context", [
    ("Call the buyer today and get an answer.", "manager", "pipeline_review"),
    ("If it isn't signed by Friday it comes out of commit.", "director", "forecast_call"),
    ("I want both renewals signed by Thursday.", "manager", "pipeline_review"),
    ("Fix the price by Monday or we go with the other supplier.", "customer", "customer_call"),
])
def test_pressure_counts(text: str, role: str, context: str) -> None:
    assert "pressure" in labels(text, role, context)


@pytest.mark.parametrize("text,role,context", [
    ("I'll send you the revised quote by end of day.", "rep", "customer_call"),
    ("I'll put the slides together and get them to you by Friday.", "rep", "customer_call"),
    ("Their ops lead will push it through the steering group.", "rep", "pipeline_review"),
    ("Everyone's numbers dropped this quarter.", "rep", "forecast_call"),
])
def test_own_commitments_and_reports_are_not_pressure(text: str, role: str, context: str) -> None:
    assert "pressure" not in labels(text, role, context)


# ---------------------------------------------------------------- next_step


@pytest.mark.parametrize("text", [
    "I shall prepare the summary and send it on Tuesday.",
    "We'll submit the signed form through the portal by Monday.",
])
def test_next_step_counts(text: str) -> None:
    assert "next_step" in labels(text)


@pytest.mark.parametrize("text", [
    "I'll be honest, this is my first call of the day.",
    "I'll keep it short.",
    "Let's start with the western region.",
    "Let me ask something different.",
])
def test_manners_are_not_next_steps(text: str) -> None:
    assert "next_step" not in labels(text)


# ---------------------------------------------------------------- assumption


def test_assumption_forecast_without_source_in_review() -> None:
    assert "assumption" in labels("Honestly, it's going to slip.", "rep", "pipeline_review")


@pytest.mark.parametrize("text", [
    "If their buyer pushes back, we adjust the scope.",
    "Their finance lead forwarded me the approval email.",
    "I'll send the draft to their lawyers today so they can review it.",
    "I hear you, but the numbers are the numbers.",
])
def test_not_assumptions(text: str) -> None:
    assert "assumption" not in labels(text, "rep", "pipeline_review")


# ---------------------------------------------------------------- pain


@pytest.mark.parametrize("text,role", [
    ("What does that do to your margins?", "rep"),
    ("We lost forty customers after the outage.", "customer"),
    ("The line stopped twice, pure failure of the old scanners.", "customer"),
    ("What's the most pressing problem for the finance team?", "rep"),
])
def test_pain_counts(text: str, role: str) -> None:
    assert "pain" in labels(text, role)


@pytest.mark.parametrize("text,role,context", [
    ("We can't meet on Thursday, sorry.", "customer", "customer_call"),
    ("We lost two reps in the spring.", "manager", "forecast_call"),
])
def test_not_pain(text: str, role: str, context: str) -> None:
    assert "pain" not in labels(text, role, context)


# ---------------------------------------------------------------- decision_criteria


@pytest.mark.parametrize("text,role", [
    ("What would it have to do for you to call it a success?", "rep"),
    ("It has to plug into our ERP, that's a red line.", "customer"),
    ("How will the bids be scored?", "rep"),
    ("What would the board need to see to approve it?", "rep"),
])
def test_decision_criteria_counts(text: str, role: str) -> None:
    assert "decision_criteria" in labels(text, role)


@pytest.mark.parametrize("text", [
    "I'll build a payback model and send it over by Thursday.",
    "I'll put a case study together for you.",
])
def test_rep_deliverables_are_not_criteria(text: str) -> None:
    assert "decision_criteria" not in labels(text)


# ---------------------------------------------------------------- competition


@pytest.mark.parametrize("text,role", [
    ("If the pilot fails, we'll go with the other provider.", "customer"),
    ("We have offers from four suppliers.", "customer"),
    ("A rival is undercutting us on price.", "manager"),
    ("Our engineers could build it internally with an open-source stack.", "customer"),
])
def test_competition_counts(text: str, role: str) -> None:
    assert "competition" in labels(text, role)


@pytest.mark.parametrize("text,role", [
    ("The store managers go with their gut on orders.", "customer"),
    ("The tender closes next month.", "rep"),
    ("What do we know versus what do we guess?", "manager"),
])
def test_not_competition(text: str, role: str) -> None:
    assert "competition" not in labels(text, role)


# ---------------------------------------------------------------- decision_process


@pytest.mark.parametrize("text", [
    "What does the security clearance involve?",
    "Responses are due before the award.",
    "It still needs a privacy review.",
])
def test_decision_process_counts(text: str) -> None:
    assert "decision_process" in labels(text, "customer")


def test_audit_alone_is_not_decision_process() -> None:
    assert "decision_process" not in labels("The auditors found nothing; the audit was clean.", "customer")


# ---------------------------------------------------------------- lexicon tables


def test_en_lexicon_has_combine_and_suppress_tables() -> None:
    lex = load_lexicon("en")
    assert any(c[0] == "timeline" and "x_date" in c[2] for c in lex.combines)
    assert any(label == "pressure" and "x_self_commit" in by for label, by in lex.suppresses)


def test_sentence_tables_are_checked(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    from miroir.language import lexicon as lexmod

    base = Path(str(tmp_path))
    bad = {
        "unknown label": '[[combine]]\nlabel = "nope"\nall = ["x_a"]\ncomment = "c"\n',
        "direct label as marker": '[[suppress]]\nlabel = "pain"\nby = ["budget"]\ncomment = "c"\n',
        "no comment": '[[combine]]\nlabel = "pain"\nall = ["x_a"]\n',
        "unknown key": '[[suppress]]\nlabel = "pain"\nby = ["x_a"]\ncomment = "c"\nwhen = 1\n',
    }
    for name, body in bad.items():
        (base / "en.toml").write_text('[[rule]]\nfeature = "x_a"\ncomment = "c"\npatterns = ["zz"]\n' + body)
        monkeypatch.setattr(lexmod, "DATA_DIR", base)
        lexmod.load_lexicon.cache_clear()
        try:
            with pytest.raises(LexiconError):
                lexmod.load_lexicon("en")
        finally:
            monkeypatch.undo()
            lexmod.load_lexicon.cache_clear()
        assert name


def test_custom_markers_are_not_labels() -> None:
    ann = annotate("They want to go live in September.", "en", "customer", "customer_call")
    assert not any(label.startswith("x_") for label in ann.labels)


# ---------------------------------------------------- v6: assumption, budget, acts


@pytest.mark.parametrize("text", [
    "Their CTO will never approve a cloud tool.",
    "Honestly, procurement is probably stalling on purpose.",
    "They're keen to move before the audit.",
    "Their finance people are pretty nervous about the renewal.",
])
def test_assumption_judgements_about_a_third_party(text: str) -> None:
    assert "assumption" in labels(text, "rep", "pipeline_review")


@pytest.mark.parametrize("text", [
    "Their operations lead sent the signed NDA on Tuesday.",
    "Their warehouse moved to a new site last spring.",
])
def test_plain_reports_of_events_are_not_assumptions(text: str) -> None:
    assert "assumption" not in labels(text, "rep", "pipeline_review")


def test_open_claim_needs_is_read_from_meta() -> None:
    lex = load_lexicon("en")
    assert "hedge" in lex.open_claim_needs


@pytest.mark.parametrize("text", [
    "We set aside forty thousand for this project.",
    "That's more than we planned to spend this year.",
])
def test_budget_counts(text: str) -> None:
    assert "budget" in labels(text, "customer")


@pytest.mark.parametrize("text", [
    "Our engineers spend hours every week fixing the schedule.",
    "That decision is above my pay grade.",
])
def test_time_spent_and_pay_grade_are_not_budget(text: str) -> None:
    assert "budget" not in labels(text, "customer")


@pytest.mark.parametrize("text", [
    "I want the updated forecast from each of you by Thursday.",
    "Escalate to their COO before Friday.",
    "Get the redlines back or it moves to best case.",
    "Notes in the system within the hour. No exceptions.",
])
def test_pressure_deadline_demands(text: str) -> None:
    assert "pressure" in labels(text, "manager", "pipeline_review")


def test_a_customer_deadline_demand_is_not_seller_pressure() -> None:
    assert "pressure" not in labels("I want the updated forecast by Thursday.", "customer")


@pytest.mark.parametrize("text", [
    "That slipped because of their reorg, nothing to do with me.",
    "With respect, I've been on five calls with them this month.",
    "I'm doing my best with this account.",
])
def test_defensive_counts(text: str) -> None:
    assert "defensive" in labels(text, "rep", "pipeline_review")


def test_calm_answer_is_not_defensive() -> None:
    assert "defensive" not in labels("The pilot ends on the 12th and the results go to their board.", "rep",
                                     "pipeline_review")


@pytest.mark.parametrize("text", [
    "I keep wondering whether the CFO even knows about this project.",
    "What changed for them since the spring?",
    "It could be that their IT team wants to build it, it's worth asking.",
])
def test_exploratory_counts(text: str) -> None:
    assert "exploratory" in labels(text, "manager", "pipeline_review")


def test_status_question_is_not_exploratory() -> None:
    assert "exploratory" not in labels("When is the contract going out?", "manager", "pipeline_review")


# ---------------------------------------------------------------- claims about the customer's things (reviews)


@pytest.mark.parametrize("text", [
    "I think the budget is approved.",
    "Probably the committee meets in March.",
    "I'm pretty sure legal won't block the contract.",
])
def test_hedged_belief_about_a_customer_topic_in_a_review_is_an_assumption(text: str) -> None:
    assert "assumption" in labels(text, "rep", "pipeline_review")


@pytest.mark.parametrize(("text", "role", "context"), [
    ("I think the budget is approved.", "customer", "customer_call"),  # the customer's own organisation
    ("I think the budget is approved.", "rep", "customer_call"),  # a review-only rule
    ("Anna told me on the call that the budget is probably approved.", "rep", "pipeline_review"),  # sourced
    ("I think we should send the proposal on Friday.", "rep", "pipeline_review"),  # no customer topic: own plan
])
def test_hedged_belief_does_not_count(text: str, role: str, context: str) -> None:
    assert "assumption" not in labels(text, role, context)


@pytest.mark.parametrize("text", ["Did Anna tell you that directly?", "Do you have that in writing?",
                                  "Did you hear it first-hand?"])
def test_asking_for_the_source_of_a_claim_is_clarification(text: str) -> None:
    assert "clarification" in labels(text, "manager", "pipeline_review")
