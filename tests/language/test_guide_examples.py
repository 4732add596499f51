"""Every example of shared/annotation-guide.md, per label and language,
including every "does not count" case (plus FR/EN counterparts)."""

from __future__ import annotations

import pytest

from miroir.language import annotate

# (label, lang, text, role, context)
COUNTS = [
    # question
    ("question", "fr", "Qui signe chez vous ?", "rep", "customer_call"),
    ("question", "en", "Tell me about your current process.", "rep", "customer_call"),
    ("question", "fr", "On signe vendredi, d'accord ?", "rep", "customer_call"),
    ("question", "en", "So we sign on Friday, right?", "rep", "customer_call"),
    ("question", "fr", "Racontez-moi comment vous gérez les relances aujourd'hui.", "rep", "customer_call"),
    # open_question
    ("open_question", "fr", "Comment se passe la validation d'un achat ?", "rep", "customer_call"),
    ("open_question", "en", "What would make this a priority?", "rep", "customer_call"),
    ("open_question", "en", "Tell me about your current process.", "rep", "customer_call"),
    ("open_question", "fr", "Qui signe chez vous ?", "rep", "customer_call"),
    # hedge
    ("hedge", "fr", "Je pense que le comité valide en mars.", "rep", "pipeline_review"),
    ("hedge", "fr", "A priori, le budget est là.", "customer", "customer_call"),
    ("hedge", "fr", "Normalement on décide avant l'été.", "customer", "customer_call"),
    ("hedge", "fr", "Ils vont probablement signer.", "rep", "pipeline_review"),
    ("hedge", "fr", "Il me semble que le DG est d'accord.", "rep", "pipeline_review"),
    ("hedge", "en", "I think the committee meets in March.", "rep", "pipeline_review"),
    ("hedge", "en", "I guess it could work.", "customer", "customer_call"),
    ("hedge", "en", "It will probably close next week.", "rep", "forecast_call"),
    ("hedge", "en", "That should be fine.", "customer", "customer_call"),
    ("hedge", "en", "It's kind of a priority for us.", "customer", "customer_call"),
    # assumption
    ("assumption", "fr", "Ils vont signer avant la fin du mois.", "rep", "pipeline_review"),
    ("assumption", "fr", "Le DAF est convaincu.", "rep", "pipeline_review"),
    ("assumption", "en", "Budget is not an issue for them.", "rep", "pipeline_review"),
    ("assumption", "en", "I think they're ready.", "rep", "pipeline_review"),
    ("assumption", "fr", "Je ne pense pas qu'ils signent.", "rep", "pipeline_review"),
    # clarification
    ("clarification", "fr", "Si je comprends bien, ça passe en comité ?", "rep", "customer_call"),
    ("clarification", "fr", "Comment tu sais qu'ils ont le budget ?", "manager", "pipeline_review"),
    ("clarification", "en", "What do you mean by 'soon'?", "manager", "pipeline_review"),
    ("clarification", "en", "Just to confirm, you need it live by March?", "rep", "customer_call"),
    # pressure
    ("pressure", "fr", "Il faut que ça signe cette semaine.", "manager", "pipeline_review"),
    ("pressure", "fr", "Je veux ce deal en commit.", "manager", "forecast_call"),
    ("pressure", "en", "This price is only valid until Friday.", "rep", "customer_call"),
    ("pressure", "en", "No excuses, it has to land this quarter.", "manager", "forecast_call"),
    # defensive
    ("defensive", "fr", "Ce n'est pas de ma faute, ils ont changé d'interlocuteur.", "rep", "pipeline_review"),
    ("defensive", "fr", "J'ai tout fait, je les relance chaque semaine.", "rep", "pipeline_review"),
    ("defensive", "en", "As I already said, legal has it.", "rep", "pipeline_review"),
    ("defensive", "en", "Trust me, it will close.", "rep", "forecast_call"),
    # exploratory
    ("exploratory", "fr", "Qu'est-ce qui pourrait expliquer leur silence ?", "manager", "pipeline_review"),
    ("exploratory", "fr", "Je me demande si on a bien compris leur critère principal.", "manager", "pipeline_review"),
    ("exploratory", "en", "What would need to be true for them to sign?", "manager", "pipeline_review"),
    ("exploratory", "en", "What are we not seeing?", "manager", "pipeline_review"),
    # next_step
    ("next_step", "fr", "Je vous envoie la proposition jeudi.", "rep", "customer_call"),
    ("next_step", "en", "Let's book a call with your CFO next Tuesday.", "rep", "customer_call"),
    # decision labels
    ("pain", "fr", "On perd deux jours par mois sur le reporting.", "customer", "customer_call"),
    ("pain", "en", "What happens if you don't fix this?", "rep", "customer_call"),
    ("budget", "fr", "Le budget est validé.", "customer", "customer_call"),
    ("budget", "en", "That's above what we planned to spend.", "customer", "customer_call"),
    ("decision_maker", "fr", "C'est le DG qui signe.", "customer", "customer_call"),
    ("decision_maker", "en", "Who else has a say in this?", "rep", "customer_call"),
    ("decision_process", "fr", "Ça passe en comité d'investissement en mars.", "customer", "customer_call"),
    ("decision_process", "en", "What does your approval process look like?", "rep", "customer_call"),
    ("decision_criteria", "fr", "Notre critère numéro un, c'est l'intégration SAP.", "customer", "customer_call"),
    ("decision_criteria", "en", "How will you compare vendors?", "rep", "customer_call"),
    ("timeline", "fr", "On veut décider d'ici fin mars.", "customer", "customer_call"),
    ("timeline", "en", "When do you need this in place?", "rep", "customer_call"),
    ("competition", "fr", "On regarde aussi Salesforce.", "customer", "customer_call"),
    ("competition", "en", "Are you looking at other options?", "rep", "customer_call"),
]

DOES_NOT_COUNT = [
    # question: rhetorical questions that assert, a question mark inside a quoted title
    ("question", "fr", "Qui n'a jamais raté un trimestre ?", "manager", "pipeline_review"),
    ("question", "en", "Who hasn't missed a quarter?", "manager", "pipeline_review"),
    ("question", "fr", "J'ai relu « Qui a peur du changement ? » hier soir.", "rep", "pipeline_review"),
    ("question", "en", 'I read "Who moved my cheese?" last week.', "rep", "pipeline_review"),
    # open_question: yes/no or options
    ("open_question", "fr", "Le budget est validé ?", "rep", "customer_call"),
    ("open_question", "en", "Is it Tuesday or Wednesday?", "rep", "customer_call"),
    ("open_question", "fr", "C'est mardi ou mercredi ?", "rep", "customer_call"),
    # hedge: a plan, an obligation, a question to someone else
    ("hedge", "fr", "Je pense à vous envoyer le devis.", "rep", "customer_call"),
    ("hedge", "en", "You should send it.", "manager", "pipeline_review"),
    ("hedge", "en", "Do you think they will sign?", "manager", "pipeline_review"),
    ("hedge", "fr", "Tu penses qu'ils vont signer ?", "manager", "pipeline_review"),
    # assumption: the same claim with its source; a customer about its own org; the speaker's own plans
    ("assumption", "fr", "Le DAF m'a confirmé mardi par mail que le budget est validé.", "rep", "pipeline_review"),
    ("assumption", "fr", "Il m'a confirmé par mail que le budget est validé.", "rep", "pipeline_review"),
    ("assumption", "en", "They told me on the call that they will sign this month.", "rep", "pipeline_review"),
    ("assumption", "fr", "Notre DG est convaincu, ils vont signer.", "customer", "customer_call"),
    ("assumption", "en", "Our CFO is convinced, they will sign.", "customer", "customer_call"),
    ("assumption", "fr", "Je vais relancer le client demain.", "rep", "pipeline_review"),
    ("assumption", "en", "I'm going to call the client tomorrow.", "rep", "pipeline_review"),
    # clarification: plain status questions, first-time discovery questions
    ("clarification", "fr", "Où en est le deal Acme ?", "manager", "pipeline_review"),
    ("clarification", "en", "Where are we on the Acme deal?", "manager", "pipeline_review"),
    ("clarification", "fr", "Combien de commerciaux avez-vous ?", "rep", "customer_call"),
    ("clarification", "en", "How many people are on your team?", "rep", "customer_call"),
    # pressure: neutral scheduling, a customer stating its own constraint
    ("pressure", "fr", "On se revoit mardi ?", "rep", "customer_call"),
    ("pressure", "en", "Shall we meet again on Tuesday?", "rep", "customer_call"),
    ("pressure", "en", "We need to go live in March.", "customer", "customer_call"),
    ("pressure", "fr", "Il faut qu'on soit en production en mars.", "customer", "customer_call"),
    # defensive: a calm factual answer to a question
    ("defensive", "fr", "Le juridique a renvoyé le contrat lundi.", "rep", "pipeline_review"),
    ("defensive", "en", "Legal sent the contract back on Monday.", "rep", "pipeline_review"),
    # exploratory: a question asked only to get a status or a date
    ("exploratory", "fr", "C'est quoi la date de signature prévue ?", "manager", "pipeline_review"),
    ("exploratory", "en", "When is the expected close date?", "manager", "pipeline_review"),
    # next_step: no concrete action
    ("next_step", "fr", "On reste en contact.", "rep", "customer_call"),
    ("next_step", "en", "Let's keep in touch.", "rep", "customer_call"),
]

CUSTOMER_DEADLINE = [
    ("en", "We need to go live in March."),
    ("fr", "Il faut qu'on soit en production en mars."),
]


def _id(case: tuple[str, ...]) -> str:
    return f"{case[0]}-{case[1]}-{case[2][:30]}"


# both modes: the rules alone, and the rules + the learned layer (the default)
MODES = pytest.mark.parametrize("learned", [True, False], ids=["learned", "rules"])


@MODES
@pytest.mark.parametrize("case", COUNTS, ids=_id)
def test_counts(case: tuple[str, str, str, str, str], learned: bool) -> None:
    label, lang, text, role, context = case
    ann = annotate(text, lang, role, context, learned=learned)
    assert label in ann.labels, (text, ann.labels)
    for start, end in ann.spans[label]:
        assert 0 <= start < end <= len(text)


@MODES
@pytest.mark.parametrize("case", DOES_NOT_COUNT, ids=_id)
def test_does_not_count(case: tuple[str, str, str, str, str], learned: bool) -> None:
    label, lang, text, role, context = case
    ann = annotate(text, lang, role, context, learned=learned)
    assert label not in ann.labels, (text, ann.labels, ann.spans.get(label))


@MODES
@pytest.mark.parametrize("lang,text", CUSTOMER_DEADLINE)
def test_customer_deadline_is_timeline_not_pressure(lang: str, text: str, learned: bool) -> None:
    ann = annotate(text, lang, "customer", "customer_call", learned=learned)
    assert "timeline" in ann.labels
    assert "pressure" not in ann.labels


@MODES
def test_same_deadline_from_manager_is_pressure(learned: bool) -> None:
    ann = annotate("Il faut que ça signe avant vendredi.", "fr", "manager", "pipeline_review", learned=learned)
    assert "pressure" in ann.labels
