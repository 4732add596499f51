"""Stable pseudonyms for people and accounts, in findings.json, the report and metric tables.

People (internal and customer speakers) become ``Rep 07``, ``Manager 02``,
``Director 01``, ``Customer 013``, ``Person 04``; accounts become
``Account 013``. Numbers are given by sorting the names of each category
(accent- and case-insensitive): the names found in the store first, then any
name only the findings mention. The same store therefore always gives the
same pseudonyms, whatever is rendered.

Substitution works on word sequences (accent- and case-insensitive for names
of two words or more; a one-word name must be capitalised in the text, so
"will" is not mistaken for a customer called Will). First and last names of
people, and the distinctive word of an account name, are replaced on their
own too (by the person's pseudonym, or ``[name]`` when the word belongs to
several people); a word shared by more than two account names ("Assurances")
is a sector word and is kept. Teams and deal ids are kept; so is
``dataset.path`` (a local folder, needed to find the store again).
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import duckdb
import pandas as pd

from ..privacy import redact_pii

PREFIX = {"rep": "Rep", "manager": "Manager", "director": "Director", "customer": "Customer",
          "person": "Person", "account": "Account"}
ROLE_CATEGORY = {"rep": "rep", "manager": "manager", "director": "director", "customer": "customer"}
AMBIGUOUS = "[name]"
MAX_ACCOUNTS_PER_WORD = 2  # a word found in more account names than this is a sector word, not a name
_TOKEN = re.compile(r"\w+")
_JOIN = re.compile(r"[^\w\n]{1,4}")  # what may separate the words of a name in a text
_ACCOUNT_STOP = {
    "group", "groupe", "industries", "industrie", "industry", "solutions", "services", "service",
    "systems", "system", "technologies", "technology", "tech", "international", "france", "holding",
    "consulting", "partners", "global", "software", "labs", "corp", "corporation", "company", "inc",
    "ltd", "llc", "sas", "sarl", "gmbh", "the", "les", "and", "et", "de", "du", "des", "la", "le",
    "bank", "banque", "energy", "energie", "health", "sante", "media", "data", "digital", "europe",
    "north", "south", "east", "west", "nord", "sud", "est", "ouest", "new", "first", "united",
}
_NAME_STOP = {"speaker", "unknown", "inconnu", "customer", "client", "rep", "manager", "the", "and",
              "les", "des", "van", "von", "der", "del", "della", "mac"}


@lru_cache(maxsize=200_000)
def _norm_token(tok: str) -> str:
    t = unicodedata.normalize("NFKD", tok.casefold())
    return "".join(c for c in t if not unicodedata.combining(c))


def _key(name: str) -> str:
    return " ".join(_norm_token(t) for t in _TOKEN.findall(name))


@dataclass
class Pseudonymiser:
    mapping: dict[str, str] = field(default_factory=dict)  # normalised name -> pseudonym
    tokens: dict[str, str] = field(default_factory=dict)  # normalised single word -> pseudonym / [name]
    max_len: int = 1
    starts: set[str] = field(default_factory=set)  # first words of every key (a fast pre-filter)

    def finish(self) -> None:
        self.max_len = max((len(k.split()) for k in self.mapping), default=1)
        self.starts = {k.split()[0] for k in self.mapping if k} | set(self.tokens)

    @property
    def empty(self) -> bool:
        return not self.mapping

    def value(self, s: Any) -> Any:
        """A whole cell: its pseudonym when it is a known name, else ``text(s)``."""
        if not isinstance(s, str) or not s:
            return s
        hit = self.mapping.get(_key(s))
        if hit is not None and (len(_TOKEN.findall(s)) > 1 or s.strip()[:1].isupper() or s.strip()[:1].isdigit()):
            return hit
        return self.text(s)

    def text(self, s: Any) -> Any:
        """Free text with every known name replaced."""
        if not isinstance(s, str) or not s or self.empty:
            return s
        toks = list(_TOKEN.finditer(s))
        if not toks:
            return s
        norms = [_norm_token(t.group()) for t in toks]
        if not self.starts.intersection(norms):
            return s
        out: list[str] = []
        pos = 0
        i = 0
        while i < len(toks):
            if norms[i] not in self.starts:
                i += 1
                continue
            done = False
            for n in range(min(self.max_len, len(toks) - i), 0, -1):
                if n > 1 and not all(_JOIN.fullmatch(s[toks[j].end():toks[j + 1].start()])
                                     for j in range(i, i + n - 1)):
                    continue
                hit = self.mapping.get(" ".join(norms[i:i + n]))
                if hit is None and n == 1:
                    hit = self.tokens.get(norms[i])
                if hit is None:
                    continue
                first = toks[i].group()
                if n == 1 and not (first[:1].isupper() or first[:1].isdigit()):
                    continue
                out.append(s[pos:toks[i].start()])
                out.append(hit)
                pos = toks[i + n - 1].end()
                i += n
                done = True
                break
            if not done:
                i += 1
        out.append(s[pos:])
        return "".join(out)

    def frame(self, df: pd.DataFrame) -> pd.DataFrame:
        """A copy of ``df`` with every text cell pseudonymised (column names are kept)."""
        if self.empty or df.empty:
            return df.copy()
        out = df.copy()
        for col in out.columns:
            s = out[col]
            if not (s.dtype == object or pd.api.types.is_string_dtype(s.dtype)):
                continue
            uniq = s.dropna().unique()
            repl = {v: self.value(v) for v in uniq if isinstance(v, str)}
            changed = {k: v for k, v in repl.items() if v != k}
            if changed:
                out[col] = s.map(lambda v, c=changed: c.get(v, v) if isinstance(v, str) else v)  # type: ignore[misc]
        return out


# -- building the mapping -------------------------------------------------------------------------

def _q(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    try:
        return con.execute(sql).fetchall()
    except duckdb.Error:
        return []


def _store_names(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, str], set[str], dict[str, str]]:
    """(person name -> category, account names, alias -> person name) from the store."""
    people: dict[str, str] = {}
    aliases: dict[str, str] = {}
    teams = {str(r[0]) for r in _q(con, "SELECT DISTINCT team FROM people WHERE team IS NOT NULL "
                                        "UNION SELECT DISTINCT team FROM deals WHERE team IS NOT NULL")}

    def add(name: Any, cat: str) -> None:
        if name is None or not str(name).strip() or str(name) in teams:
            return
        n = str(name).strip()
        prev = people.get(n)
        # the people table's role wins; otherwise the most specific role seen
        if prev is None or (prev == "person" and cat != "person"):
            people[n] = cat

    for name, role, al in _q(con, "SELECT name, role, aliases FROM people"):
        cat = ROLE_CATEGORY.get(str(role or "").lower(), "person")
        if cat == "customer":
            cat = "person"
        add(name, cat)
        for a in str(al or "").split(";"):
            if a.strip() and name:
                aliases[a.strip()] = str(name).strip()
    for (m,) in _q(con, "SELECT DISTINCT manager FROM people WHERE manager IS NOT NULL"):
        add(m, "manager")
    for (o,) in _q(con, "SELECT DISTINCT owner FROM deals WHERE owner IS NOT NULL"):
        add(o, "rep")
    for (p,) in _q(con, "SELECT DISTINCT changed_by FROM deal_changes WHERE changed_by IS NOT NULL"):
        add(p, "person")
    for (p,) in _q(con, "SELECT DISTINCT person FROM intuitions WHERE person IS NOT NULL"):
        add(p, "person")
    for t in ("forecasts", "quotas"):
        for (o,) in _q(con, f"SELECT DISTINCT owner FROM {t} WHERE owner IS NOT NULL"):
            add(o, "person")
    for sp, role in _q(con, "SELECT speaker, min(role) FROM utterances WHERE speaker IS NOT NULL GROUP BY speaker"):
        r = str(role or "").lower()
        add(sp, ROLE_CATEGORY.get(r, "customer" if r in ("", "customer", "client") else "person"))
    accounts = {str(a).strip() for (a,) in _q(con, "SELECT DISTINCT account FROM deals WHERE account IS NOT NULL")
                if str(a).strip()}
    return people, accounts, aliases


_PSEUDONYM = re.compile(r"^(?:" + "|".join(PREFIX.values()) + r") \d+$")


def _doc_names(doc: dict[str, Any]) -> dict[str, str]:
    """Names only the findings mention (none when ``doc`` is already pseudonymised)."""
    found: dict[str, str] = {}
    if doc.get("pseudonymised"):
        return found
    for f in doc.get("findings", []):
        sc = f.get("scope") or {}
        if sc.get("level") in ("rep", "manager") and sc.get("id"):
            found.setdefault(str(sc["id"]), str(sc["level"]))
        for e in f.get("evidence", []):
            if e.get("speaker"):
                r = str(e.get("speaker_role") or "").lower()
                found.setdefault(str(e["speaker"]), ROLE_CATEGORY.get(r, "customer" if r in ("", "customer") else "person"))
    for o in doc.get("observations", []):
        sc = o.get("scope") or {}
        if sc.get("level") in ("rep", "manager") and sc.get("id"):
            found.setdefault(str(sc["id"]), str(sc["level"]))
    return found


def _number(names: Iterable[str], prefix: str, start: int, width: int) -> dict[str, str]:
    out = {}
    for i, n in enumerate(sorted(names, key=lambda x: (_key(x), x)), start=start):
        out[n] = f"{prefix} {i:0{width}d}"
    return out


def build_pseudonymiser(con: duckdb.DuckDBPyConnection | None, doc: dict[str, Any] | None = None) -> Pseudonymiser:
    people, accounts, aliases = _store_names(con) if con is not None else ({}, set(), {})
    extra = {n: c for n, c in (_doc_names(doc) if doc else {}).items()
             if n not in people and n not in aliases and _key(n) and not _PSEUDONYM.match(n)}
    by_cat: dict[str, list[str]] = defaultdict(list)
    for n, c in people.items():
        by_cat[c].append(n)
    extra_by_cat: dict[str, list[str]] = defaultdict(list)
    for n, c in extra.items():
        extra_by_cat[c].append(n)
    named: dict[str, str] = {}
    for cat in sorted(set(by_cat) | set(extra_by_cat)):
        total = len(by_cat[cat]) + len(extra_by_cat[cat])
        width = 3 if total > 99 or cat == "customer" else 2
        named.update(_number(by_cat[cat], PREFIX[cat], 1, width))
        named.update(_number(extra_by_cat[cat], PREFIX[cat], len(by_cat[cat]) + 1, width))
    acc = _number(accounts, PREFIX["account"], 1, 3)

    p = Pseudonymiser()
    # accounts first so that a person and an account with the same name end up as the person
    for name, pseudo in list(acc.items()) + list(named.items()):
        k = _key(name)
        if k:
            p.mapping[k] = pseudo
    for alias, name in aliases.items():
        if name in named and _key(alias):
            p.mapping.setdefault(_key(alias), named[name])
    # single words of multi-word names: a person's first or last name alone is replaced by their
    # pseudonym ([name] when several people share it); an account's distinctive word likewise, but a
    # word that many account names share ("Assurances", "Logistique") is a sector word and is kept.
    person_words: dict[str, set[str]] = defaultdict(set)
    for name, pseudo in named.items():
        toks = _key(name).split()
        if len(toks) > 1:
            for t in toks:
                if len(t) >= 3 and not t.isdigit() and t not in _NAME_STOP:
                    person_words[t].add(pseudo)
    account_words: dict[str, set[str]] = defaultdict(set)
    for name, pseudo in acc.items():
        toks = _key(name).split()
        if len(toks) > 1:
            for t in toks:
                if len(t) >= 4 and not any(c.isdigit() for c in t) and t not in _ACCOUNT_STOP:
                    account_words[t].add(pseudo)
    for t, owners in person_words.items():
        if t not in p.mapping:
            p.tokens[t] = next(iter(owners)) if len(owners) == 1 else AMBIGUOUS
    for t, owners in account_words.items():
        if t in p.mapping or t in p.tokens or len(owners) > MAX_ACCOUNTS_PER_WORD:
            continue
        p.tokens[t] = next(iter(owners)) if len(owners) == 1 else AMBIGUOUS
    p.finish()
    return p


# -- applying it ----------------------------------------------------------------------------------

_REDACT_KEYS = {"quote", "note"}
# identifiers and codes, never names
_ID_KEYS = {"id", "type", "kind", "lens", "deal_id", "conversation_id", "changed_at", "field", "start_s",
            "speaker_role", "finding_ids", "rule", "unit", "level"}
_VALUE_KEYS = {"speaker", "old_value", "new_value", "owner", "person", "account", "rep", "manager"}


def _walk(obj: Any, p: Pseudonymiser) -> Any:
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if k in _ID_KEYS:
                out[k] = v
            elif k in _VALUE_KEYS and isinstance(v, str):
                out[k] = p.value(v)
            elif k in _REDACT_KEYS and isinstance(v, str):
                out[k] = p.text(redact_pii(v))
            else:
                out[k] = _walk(v, p)
        return out
    if isinstance(obj, list):
        return [_walk(v, p) for v in obj]
    if isinstance(obj, str):
        return p.text(obj)
    return obj


def _scope(sc: Any, p: Pseudonymiser) -> Any:
    if isinstance(sc, dict) and sc.get("level") in ("rep", "manager", "deal", "org", "team"):
        sc = dict(sc)
        if sc["level"] in ("rep", "manager"):
            sc["id"] = p.value(str(sc.get("id", "")))
    return sc


_SECTIONS = ("findings", "observations", "optimizing_for", "lenses_skipped", "lenses_failed", "methods")


def apply_to_doc(doc: dict[str, Any], p: Pseudonymiser) -> dict[str, Any]:
    out = {k: (copy.deepcopy(v) if k not in _SECTIONS else v) for k, v in doc.items()}
    for sect in _SECTIONS[:-1]:
        items = []
        for item in out.get(sect, []) or []:
            if isinstance(item, dict):
                sc = item.get("scope")
                item = {k: v for k, v in item.items() if k != "scope"}
                item = _walk(item, p)
                if sc is not None or sect in ("findings", "observations"):
                    item["scope"] = _scope(sc, p)
            items.append(item)
        out[sect] = items
    if "methods" in out:
        out["methods"] = _walk(out["methods"], p)
    out["pseudonymised"] = True
    return out


def pseudonymise_doc(doc: dict[str, Any], con: duckdb.DuckDBPyConnection | None) -> dict[str, Any]:
    """A copy of ``doc`` (findings.json) with people and accounts replaced by stable pseudonyms."""
    return apply_to_doc(doc, build_pseudonymiser(con, doc))


def pseudonymise_tables(metrics: dict[str, pd.DataFrame], con: duckdb.DuckDBPyConnection | None,
                        doc: dict[str, Any] | None = None) -> dict[str, pd.DataFrame]:
    """The metric tables with the same pseudonyms as ``pseudonymise_doc(doc, con)``."""
    p = build_pseudonymiser(con, doc)
    return {name: p.frame(df) for name, df in metrics.items()}
