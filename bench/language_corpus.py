"""Deterministic mixed FR/EN sales-conversation corpus, generated from templates.

Not drawn from the gold files: sentence templates with slots (people,
accounts, amounts, dates, fillers), 1-4 sentences per utterance, about 40 %
of sentences with no cue at all (small talk, logistics, status).
"""

from __future__ import annotations

import random
from collections.abc import Iterator

FR_TEMPLATES = [
    "Je pense que {acct} va signer avant fin {month}.",
    "Le DAF de {acct} est convaincu, il faut que ça signe cette semaine.",
    "Comment se passe la validation d'un achat chez vous ?",
    "On perd à peu près {n} jours par mois sur le reporting, c'est pénible.",
    "Ok merci {name}, on se revoit {day} ?",
    "Je vous envoie la proposition {day} avec le devis à {n} k€.",
    "Alors du coup on regarde aussi {comp}, mais bon c'est pas encore décidé.",
    "{name} m'a confirmé par mail que le budget est validé.",
    "Si je comprends bien, ça passe en comité d'investissement en {month} ?",
    "C'est pas de ma faute, ils ont changé d'interlocuteur deux fois.",
    "Qu'est-ce qui pourrait expliquer leur silence depuis {day} ?",
    "Le budget est validé ?",
    "Bonjour à tous, on attend encore {name} et on commence.",
    "Oui oui, je vois tout à fait, merci pour le partage d'écran.",
    "Euh attends, je retrouve le fichier, deux secondes.",
    "Bon, le deal {acct} est toujours en négociation, rien de neuf de mon côté.",
    "Notre critère numéro un, c'est l'intégration avec {tool}.",
    "Qui d'autre participe à la décision chez vous ?",
    "Il me semble qu'ils ont repoussé la réunion à {day}.",
    "La démo s'est bien passée, l'équipe a posé beaucoup de questions sur les exports.",
    "D'accord, très bien, et pour la suite on fait comment ?",
    "Franchement la météo est horrible aujourd'hui, j'ai mis une heure pour venir.",
    "On a {n} commerciaux et trois managers répartis sur deux sites.",
    "Je veux ce deal en commit, pas d'excuses.",
]
EN_TEMPLATES = [
    "I think {acct} is ready to sign before the end of {month}.",
    "What would make this a priority for you this year?",
    "Let's book a call with your CFO next {day}.",
    "As I said, it's not my fault, they changed the contact twice.",
    "That's above what we planned to spend, we were thinking around {n}k.",
    "Okay great, thanks everyone for joining, {name} will be a few minutes late.",
    "They told me on the call that legal is reviewing the redlines.",
    "Just to confirm, you need it live by {month}?",
    "This price is only valid until {day}, after that the discount goes away.",
    "We're also looking at {comp} and maybe building it in-house.",
    "How do you know they have the budget?",
    "Yeah so the demo went fine, lots of questions about the reporting module.",
    "Hang on, let me share my screen, can everyone see it?",
    "The {acct} deal is still in negotiation, nothing new on my side.",
    "Our number one criterion is the integration with {tool}.",
    "Who else has a say in this decision?",
    "We lose about {n} hours a week reconciling spreadsheets by hand.",
    "What are we not seeing here, any other views?",
    "I'll send you the proposal on {day} with the updated pricing.",
    "Sorry, the traffic was terrible this morning, I just got in.",
    "We have {n} reps across two offices and a small ops team.",
    "Trust me, it will close, I've got it under control.",
    "Do you have a hard deadline for the go-live?",
    "Sounds good, talk soon.",
]
NAMES = ["Camille", "Julien", "Sophie", "Karim", "Laura", "Thomas", "Nadia", "Pierre", "Emma", "Lucas",
         "Alex", "Jordan", "Priya", "Sam", "Morgan", "Chris"]
ACCTS = ["Acme", "Durand SA", "Globex", "Initech", "Batiplus", "Vertex", "Nordica", "Helios", "Atlas", "Orion"]
COMPS = ["Salesforce", "HubSpot", "Pipedrive", "un intégrateur", "Zoho"]
TOOLS = ["SAP", "Sage", "Workday", "Oracle", "Excel"]
MONTHS_FR = ["janvier", "mars", "juin", "septembre", "novembre"]
MONTHS_EN = ["January", "March", "June", "September", "November"]
DAYS_FR = ["lundi", "mardi", "jeudi", "vendredi"]
DAYS_EN = ["Monday", "Tuesday", "Thursday", "Friday"]
ROLES = ["rep", "manager", "customer", "other"]
CONTEXTS = ["customer_call", "pipeline_review", "forecast_call"]


def _fill(template: str, rng: random.Random, lang: str) -> str:
    return template.format(
        acct=rng.choice(ACCTS), name=rng.choice(NAMES), comp=rng.choice(COMPS), tool=rng.choice(TOOLS),
        month=rng.choice(MONTHS_FR if lang == "fr" else MONTHS_EN),
        day=rng.choice(DAYS_FR if lang == "fr" else DAYS_EN), n=rng.randint(2, 90),
    )


def utterances(n_words: int, seed: int = 7) -> Iterator[tuple[str, str, str, str]]:
    """Yield ``(text, lang, role, context)`` until ``n_words`` whitespace words."""
    rng = random.Random(seed)
    total = 0
    while total < n_words:
        lang = "fr" if rng.random() < 0.5 else "en"
        templates = FR_TEMPLATES if lang == "fr" else EN_TEMPLATES
        text = " ".join(_fill(rng.choice(templates), rng, lang) for _ in range(rng.randint(1, 4)))
        total += len(text.split())
        yield text, lang, rng.choice(ROLES), rng.choice(CONTEXTS)
