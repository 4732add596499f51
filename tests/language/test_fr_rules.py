"""French lexicon rules (data/fr.toml, v5 groups): what counts and what does not.

Tiny sentences written for these tests (not taken from the gold files).
"""

from __future__ import annotations

import pytest

from miroir.language import Annotation
from miroir.language import annotate as _annotate

CALL = "customer_call"
REVIEW = "pipeline_review"


def annotate(text: str, lang: str | None = None, role: str | None = None, context: str | None = None) -> Annotation:
    """The hand-written rules alone (``data/<lang>.toml``): this file pins them; the learned
    layer on top of them is tested in test_learned.py and on the guide's examples."""
    return _annotate(text, lang, role, context, learned=False)


def labels(text: str, role: str | None = "rep", context: str | None = CALL) -> set[str]:
    return set(annotate(text, "fr", role, context).labels)


@pytest.mark.parametrize(
    ("text", "label", "role", "context", "expected"),
    [
        # timeline: deadlines of the decision / go-live, not past dates or problem durations
        ("Le comité valide en juin.", "timeline", "customer", CALL, True),
        ("Tout est gelé jusqu'en avril.", "timeline", "customer", CALL, True),
        ("Vous comptez signer quand ?", "timeline", "rep", CALL, True),
        ("Ils devraient closer la semaine prochaine.", "timeline", "rep", REVIEW, True),
        ("La revue prend trois à quatre semaines.", "timeline", "customer", CALL, True),
        ("On a embauché deux personnes en mars.", "timeline", "customer", CALL, False),
        ("Le bug a duré trois jours.", "timeline", "customer", CALL, False),
        ("C'est quand même compliqué.", "timeline", "customer", CALL, False),
        ("Quand vous dites rapide, c'est combien ?", "timeline", "rep", CALL, False),
        ("On commence quand vous voulez.", "timeline", "rep", CALL, False),
        ("On refait tout chaque fin de mois.", "timeline", "customer", CALL, False),
        # decision_process: steps and bodies of the decision, not a job title or consulting
        ("Le dossier passe en commission le mois prochain.", "decision_process", "customer", CALL, True),
        ("Il faut que le juridique relise la convention.", "decision_process", "customer", CALL, True),
        ("Les questions écrites se posent sur la plateforme.", "decision_process", "customer", CALL, True),
        ("J'ai travaillé dix ans dans le conseil.", "decision_process", "customer", CALL, False),
        ("Notre directrice juridique sera là aussi.", "decision_process", "customer", CALL, False),
        ("Le deal passe en best case.", "decision_process", "manager", REVIEW, False),
        # decision_criteria
        ("Notre ligne rouge, c'est l'hébergement hors d'Europe.", "decision_criteria", "customer", CALL, True),
        ("Qu'est-ce qui ferait pencher la balance ?", "decision_criteria", "rep", CALL, True),
        ("C'est pas si simple, elle est en congé.", "decision_criteria", "rep", REVIEW, False),
        ("Je vais surtout écouter aujourd'hui.", "decision_criteria", "customer", CALL, False),
        ("Tu te bases sur quoi ?", "decision_criteria", "manager", REVIEW, False),
        # pain
        ("La machine est cassée, on a jeté tout le stock à la benne.", "pain", "customer", CALL, True),
        ("Il se passe quoi si vous ne changez rien ?", "pain", "rep", CALL, True),
        ("Aucun souci, on peut décaler.", "pain", "rep", CALL, False),
        ("Après la pause, on attaque le point suivant.", "pain", "manager", REVIEW, False),
        # competition
        ("Un concurrent casse les prix sur ce segment.", "competition", "manager", REVIEW, True),
        ("Ils pensent le faire tourner eux-mêmes en open source.", "competition", "rep", REVIEW, True),
        ("Le DAF pousse en interne pour le projet.", "competition", "rep", REVIEW, False),
        ("L'appel d'offres ouvre lundi.", "competition", "customer", CALL, False),
        # defensive
        ("Sauf ton respect, j'ai hérité de ces comptes le mois dernier.", "defensive", "rep", REVIEW, True),
        ("Je vais pas m'excuser pour notre process.", "defensive", "customer", CALL, True),
        ("C'est comme ça que ça marche chez nous.", "defensive", "customer", CALL, False),
        # exploratory
        ("Peut-être la revue sécurité. À vérifier.", "exploratory", "rep", REVIEW, True),
        ("Cherchons ce qui pourrait débloquer le dossier.", "exploratory", "manager", REVIEW, True),
        ("Qu'est-ce qui a changé depuis le dernier point ?", "exploratory", "manager", REVIEW, True),
        ("Peut-être.", "exploratory", "customer", CALL, False),
        ("Je vois pas pourquoi ils changeraient d'avis.", "exploratory", "manager", REVIEW, False),
        # next_step
        ("Je confirme avec notre DPO.", "next_step", "customer", CALL, True),
        ("Je lui en parle jeudi.", "next_step", "customer", CALL, True),
        ("Nous déposerons le dossier d'ici vendredi.", "next_step", "rep", CALL, True),
        ("Appelle le sponsor cette semaine.", "next_step", "manager", REVIEW, True),
        ("Je vais être honnête avec vous.", "next_step", "customer", CALL, False),
        ("Je vais essayer.", "next_step", "rep", REVIEW, False),
        ("Petit rappel, les notes de frais sont à rendre vendredi.", "next_step", "rep", REVIEW, False),
        ("On en reparle.", "next_step", "manager", REVIEW, False),
        # pressure
        ("Pas de signature, pas de commit.", "pressure", "manager", REVIEW, True),
        ("Si c'est pas signé au 31, ça existe pas.", "pressure", "director", "forecast_call", True),
        ("Je vous envoie le devis d'ici vendredi.", "pressure", "rep", CALL, False),
        # clarification
        ("C'est toi qui le dis, ou c'est le client ?", "clarification", "manager", REVIEW, True),
        ("Il t'a dit oui, avec ces mots-là ?", "clarification", "manager", REVIEW, True),
        ("Pour nous, c'est une seule source de vérité.", "clarification", "customer", CALL, False),
        # budget
        ("J'ai la ligne budgétaire pour ça.", "budget", "customer", CALL, True),
        ("Le patron adore les bonnes affaires.", "budget", "rep", REVIEW, True),
        # budget (v6): an amount is budget, except a problem's cost or a forecast total; a percentage needs a price
        ("On a prévu trente mille euros pour ce projet.", "budget", "customer", CALL, True),
        ("Votre offre est douze pour cent au-dessus de l'autre offre.", "budget", "customer", CALL, True),
        ("Ces pannes nous ont coûté deux cent mille euros l'an passé.", "budget", "customer", CALL, False),
        ("Trois millions en commit, cinq cent mille en upside.", "budget", "manager", "forecast_call", False),
        ("Seuls vingt pour cent des agents utilisent l'outil.", "budget", "customer", CALL, False),
        ("Ça vous coûte quoi, ces retards ?", "budget", "rep", CALL, False),
        # timeline (v6): a bare date is timeline only next to a step of the decision
        ("Le conseil tranche le 9.", "timeline", "customer", CALL, True),
        ("On veut démarrer à la rentrée.", "timeline", "customer", CALL, True),
        ("Le 9, normalement.", "timeline", "rep", REVIEW, True),
        ("Ils m'ont rappelé deux fois ce mois-ci.", "timeline", "customer", CALL, False),
        ("Je prends mes congés le 9.", "timeline", "rep", REVIEW, False),
        ("Il faudra en reparler au renouvellement.", "timeline", "customer", CALL, False),
        # decision_process (v6): a contract, a lawyer or a bid document named alone is not a step
        ("Notre juriste vous rappelle demain.", "decision_process", "rep", CALL, False),
        ("Vous avez bien reçu notre soumission ?", "decision_process", "rep", CALL, False),
        ("J'ai un CODIR dans dix minutes.", "decision_process", "customer", CALL, False),
        ("La demande doit passer en comité d'investissement.", "decision_process", "customer", CALL, True),
        # decision_maker: a titled person with a deciding verb
        ("Le directeur du site signe les investissements.", "decision_maker", "customer", CALL, True),
        ("La DSI a un droit de veto.", "decision_maker", "customer", CALL, True),
    ],
)
def test_fr_label(text: str, label: str, role: str, context: str, expected: bool) -> None:
    assert (label in labels(text, role, context)) is expected


def test_hedge_kept_under_longer_exploratory_cue() -> None:
    # "peut-être la ..." opens a hypothesis and is still the speaker's hedge
    got = labels("Peut-être la revue sécurité, je sais pas.", "rep", REVIEW)
    assert {"exploratory", "hedge"} <= got
    got = labels("Ils voudront peut-être les quatre lignes.", "rep", REVIEW)
    assert "hedge" in got
    assert "exploratory" not in got


@pytest.mark.parametrize(
    ("text", "context", "expected"),
    [
        ("Tu atterris où ce trimestre ?", REVIEW, True),
        ("On en était où ?", CALL, True),
        ("Vous pouvez m'en dire plus ?", CALL, True),
        ("Je t'écoute.", REVIEW, True),
        ("Et le Sud ?", "forecast_call", True),
        ("C'est là où ça bloque ?", CALL, False),
        ("Il y a une date sur laquelle vous vous calez ?", CALL, False),
        ("Je t'écoute.", CALL, False),
    ],
)
def test_fr_open_question(text: str, context: str, expected: bool) -> None:
    assert ("open_question" in labels(text, "manager", context)) is expected


def test_rhetorical_and_small_talk_are_not_questions() -> None:
    assert "question" not in labels("Qui n'adore pas les lundis ?", "manager", REVIEW)
    assert "question" not in labels("Je suis dans le train, dis-moi si ça coupe.", "rep", CALL)


# ---------------------------------------------------------------- affirmations sur les choses du client (revues)


def test_croyance_sur_un_sujet_de_decision_en_revue_est_une_assumption() -> None:
    ann = annotate("Je pense que le budget est validé.", "fr", "rep", "pipeline_review")
    assert "assumption" in ann.labels
    ann = annotate("A priori ça passe en comité en mars.", "fr", "manager", "forecast_call")
    assert "assumption" in ann.labels


def test_croyance_ne_compte_pas_hors_revue_ou_avec_source() -> None:
    assert "assumption" not in annotate("Je pense que le budget est validé.", "fr", "customer", "customer_call").labels
    assert "assumption" not in annotate("Je pense que le budget est validé.", "fr", "rep", "customer_call").labels
    assert "assumption" not in annotate("Anne m'a confirmé par mail que le budget est a priori validé.", "fr", "rep",
                                        "pipeline_review").labels


def test_demander_la_source_est_une_clarification_pas_une_defense() -> None:
    ann = annotate("Attends, tu tiens ça d'où ?", "fr", "manager", "pipeline_review")
    assert "clarification" in ann.labels and "defensive" not in ann.labels


def test_rejeter_la_faute_est_defensif() -> None:
    for text in ("Le problème vient du marketing, pas de moi.", "Je vois pas ce que j'aurais pu faire de plus."):
        assert "defensive" in annotate(text, "fr", "rep", "pipeline_review").labels
