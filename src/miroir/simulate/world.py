"""The simulated organisation: teams, managers, reps, their traits, and plant scopes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from ..errors import UsageError
from .banks import load_bank
from .plants import Plant, PlantSpec

START = dt.date(2024, 1, 1)  # first day of the simulated history
TODAY = dt.date(2026, 2, 18)  # fixed "today": the last day of data (a Wednesday)
FIRST_CREATED = dt.date(2023, 10, 2)  # pipeline already open when the history starts

STAGES = {
    "fr": ("Qualification", "Découverte", "Proposition", "Négociation", "Gagné", "Perdu"),
    "en": ("Qualification", "Discovery", "Proposal", "Negotiation", "Closed Won", "Closed Lost"),
}
CURRENCY = {"fr": "EUR", "en": "USD"}
PRODUCTS = {
    "fr": ("Analytics", "Planning", "Connect", "Data Hub", "Facturation", "Mobilité"),
    "en": ("Analytics", "Planning", "Connect", "Data Hub", "Billing", "Mobility"),
}


@dataclass
class RepTraits:
    discovery: float = 0.72  # share of decision elements explored; open-question share
    forecast_bias: float = 0.0  # (F - A) / A of the rep's calls
    pressure_customer: float = 0.04  # chance of a pressure turn in a customer call
    threads: int = 3  # customer contacts engaged per deal
    explore_dm_process: float = 0.92  # chance decision maker / process get explored
    sourced_claims: float = 0.72  # share of claims about customers that name their source
    push_rate: float = 0.25  # chance a deal's close date is pushed at least once


@dataclass
class ManagerTraits:
    exploratory: float = 0.45  # share of deal discussions opened with an exploratory question
    clarify: float = 0.65  # chance an unsourced claim is questioned
    pressure: float = 0.04  # pressure turns per deal discussion
    pressure_ramp: bool = False  # pressure rises toward period end
    defensive: float = 0.05  # chance a discussion turns into challenge and justification
    dominance: bool = False  # long monologues, status questions
    attention: str = "value"  # "value" (time follows value) or "inverse"
    gut_precision: float | None = None  # planted P(lost or slipped | "fragile")


@dataclass
class Person:
    person_id: str
    name: str
    role: str  # rep, manager, director
    team: str
    manager: str
    gender: str
    aliases: list[str] = field(default_factory=list)
    rep: RepTraits | None = None
    mgr: ManagerTraits | None = None

    @property
    def first(self) -> str:
        return self.name.split(" ")[0]


@dataclass
class Org:
    lang: str
    teams: list[str]
    director: Person
    managers: dict[str, Person]  # team -> manager
    reps: list[Person]
    plants: list[Plant] = field(default_factory=list)

    @property
    def people(self) -> list[Person]:
        out = [self.director]
        for t in self.teams:
            out.append(self.managers[t])
            out.extend(r for r in self.reps if r.team == t)
        return out

    def reps_of(self, team: str) -> list[Person]:
        return [r for r in self.reps if r.team == team]

    def by_name(self) -> dict[str, Person]:
        return {p.name: p for p in self.people}

    # -- plant scopes ------------------------------------------------------
    def plant(self, kind: str) -> list[Plant]:
        return [p for p in self.plants if p.kind == kind]

    def rep_has(self, kind: str, rep: Person) -> bool:
        for p in self.plant(kind):
            if (p.level == "org" or (p.level == "team" and p.id == rep.team)
                    or (p.level == "manager" and p.id == rep.manager) or (p.level == "rep" and p.id == rep.name)):
                return True
        return False

    def team_has(self, kind: str, team: str) -> bool:
        mgr = self.managers[team].name
        return any(p.level == "org" or (p.level == "team" and p.id == team)
                   or (p.level == "manager" and p.id == mgr) for p in self.plant(kind))

    def has(self, kind: str) -> bool:
        return bool(self.plant(kind))


def _unique_names(rng: np.random.Generator, names: dict[str, list[str]], n: int,
                  taken: set[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    tries = 0
    while len(out) < n:
        tries += 1
        gender = "f" if rng.random() < 0.5 else "m"
        first = names[f"first_{gender}"][int(rng.integers(len(names[f"first_{gender}"])))]
        last = names["last"][int(rng.integers(len(names["last"])))]
        full = f"{first} {last}"
        if full in taken and tries < 100 * n + 1000:
            continue
        if full in taken:  # very large organisations: disambiguate with an initial
            full = f"{first} {chr(65 + len(out) % 26)}. {last}"
        taken.add(full)
        out.append((full, gender))
    return out


def _alias(rng: np.random.Generator, name: str) -> str:
    """A speaker label a meeting tool could show for this person."""
    first, _, last = name.partition(" ")
    r = rng.random()
    if r < 0.35:
        return f"{first} {last[:1]}."
    if r < 0.6:
        return name.lower()
    if r < 0.8 and "-" in first:
        return name.replace("-", " ")
    if len(last) > 4:  # a typo, as a meeting tool shows a mistyped display name
        i = int(rng.integers(1, len(last) - 1))
        return f"{first} {last[:i]}{last[i + 1]}{last[i]}{last[i + 2:]}"
    return f"{first[:1]}. {last}"


def team_names(lang: str, n: int) -> list[str]:
    base = load_bank(f"names_{lang}")["teams"]
    out = []
    for i in range(n):
        name = base[i % len(base)]
        out.append(name if i < len(base) else f"{name} {i // len(base) + 1}")
    return out


def build_org(rng: np.random.Generator, lang: str, scale: float) -> Org:
    names = load_bank(f"names_{lang}")
    n_teams = max(2, int(round(4 * scale)))
    n_reps = max(3 * n_teams, int(round(30 * scale)))
    teams = team_names(lang, n_teams)
    taken: set[str] = set()
    people = _unique_names(rng, names, 1 + n_teams + n_reps, taken)
    pid = iter(range(1, 10_000_000))
    dname, dg = people[0]
    director = Person(f"P{next(pid):04d}", dname, "director", "", "", dg)
    managers: dict[str, Person] = {}
    for i, t in enumerate(teams):
        nm, g = people[1 + i]
        managers[t] = Person(f"P{next(pid):04d}", nm, "manager", t, dname, g, mgr=ManagerTraits())
    reps: list[Person] = []
    for j in range(n_reps):
        t = teams[j % n_teams]
        nm, g = people[1 + n_teams + j]
        traits = RepTraits(discovery=float(rng.uniform(0.68, 0.82)), forecast_bias=float(rng.normal(0, 0.02)),
                           threads=int(rng.integers(2, 5)))
        reps.append(Person(f"P{next(pid):04d}", nm, "rep", t, managers[t].name, g, rep=traits))
    reps.sort(key=lambda r: (teams.index(r.team), r.person_id))
    org = Org(lang, teams, director, managers, reps)
    for p in org.people:  # a few people show up under another label in meeting tools
        if rng.random() < 0.15:
            p.aliases.append(_alias(rng, p.name))
    return org


def resolve_plants(org: Org, specs: list[PlantSpec], rng: np.random.Generator) -> list[Plant]:
    """Turn specs into concrete scopes; picks people/teams where the spec leaves it open."""
    used_reps: set[str] = set()
    out: list[Plant] = []
    for spec in specs:
        if spec.level == "org":
            out.append(Plant(spec.kind, "org", "org"))
            continue
        if spec.level == "team":
            pool = list(org.teams)
        elif spec.level == "manager":
            pool = [org.managers[t].name for t in org.teams]
        else:
            pool = [r.name for r in org.reps]
        chosen = _choose(spec, pool, rng, used_reps if spec.level == "rep" else set())
        if spec.level == "rep":
            used_reps.add(chosen)
        out.append(Plant(spec.kind, spec.level, chosen))
    return out


def _choose(spec: PlantSpec, pool: list[str], rng: np.random.Generator, avoid: set[str]) -> str:
    ref = spec.ref
    if ref is None:
        free = [p for p in pool if p not in avoid] or pool
        return free[int(rng.integers(len(free)))]
    if ref.startswith("#") and ref[1:].isdigit():
        k = int(ref[1:])
        if spec.wrap:
            k = (k - 1) % len(pool) + 1
        if not 1 <= k <= len(pool):
            raise UsageError(f"{spec.text}: there are {len(pool)} {spec.level}s at this scale, not {k}",
                             f"Use a position between 1 and {len(pool)}, or a name: {', '.join(pool[:8])}...")
        return pool[k - 1]
    folded = {p.casefold(): p for p in pool}
    if ref.casefold() in folded:
        return folded[ref.casefold()]
    raise UsageError(
        f"{spec.text}: no {spec.level} named {ref!r} in this organisation",
        f"Valid {spec.level}s: {', '.join(pool[:40])}{' ...' if len(pool) > 40 else ''}"
        f" (or use '{spec.level}:#<n>', or leave the id out to let the simulator pick).",
    )
