"""The bad-input catalogue: each case builds a dataset folder and states the expected behaviour.

`docs/bad-inputs.md` is generated from this list (`python -m tests.bad_inputs.cases > docs/bad-inputs.md`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HEADER = "deal_id,owner,amount,stage,created_at,close_date,status\n"
GOOD = "D1,Ann,1000,Proposal,2026-01-05,2026-03-31,open\nD2,Bob,2000,Won,2026-01-06,2026-02-10,won\n"


@dataclass(frozen=True)
class Case:
    name: str
    description: str
    build: Callable[[Path], None]
    expect_codes: tuple[str, ...]  # problem codes that must be reported
    behaviour: str  # what the user sees
    deals_stored: int | None = None  # expected deals kept (None: not checked)
    slow: bool = False


def _deals(folder: Path, text: str = HEADER + GOOD, encoding: str = "utf-8") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "deals.csv").write_bytes(text.encode(encoding))


def _conv(folder: Path, name: str, content: bytes) -> None:
    _deals(folder)
    (folder / "transcripts").mkdir(exist_ok=True)
    (folder / "transcripts" / name).write_bytes(content)
    (folder / "conversations.csv").write_text(
        f"conversation_id,kind,started_at,file\nC1,customer_call,2026-01-10T10:00:00,transcripts/{name}\n")


def truncated(f: Path) -> None:
    _deals(f, HEADER + GOOD + 'D3,Ann,"30')


def binary(f: Path) -> None:
    f.mkdir(parents=True)
    (f / "deals.csv").write_bytes(bytes(range(256)) * 8)


def utf16(f: Path) -> None:
    _deals(f, HEADER + GOOD.replace("Ann", "Anaïs"), encoding="utf-16")


def cp1252(f: Path) -> None:
    _deals(f, HEADER.replace(",", ";") + "D1;Hélène;1 000,50;Négo;2026-01-05;2026-03-31;open\n", encoding="cp1252")


def bom_crlf_mixed(f: Path) -> None:
    _deals(f, "\ufeff" + HEADER.replace("\n", "\r\n") + GOOD.replace("\n", "\r", 1))


def single_line_200mb(f: Path) -> None:
    f.mkdir(parents=True)
    with (f / "deals.csv").open("wb") as fh:
        chunk = b"deal_id,owner,amount," * 50_000
        for _ in range((200 * 1024 * 1024) // len(chunk) + 1):
            fh.write(chunk)


def duplicate_ids(f: Path) -> None:
    _deals(f, HEADER + GOOD + "D1,Cy,5,Proposal,2026-01-05,2026-03-31,open\n")


def bad_amounts(f: Path) -> None:
    _deals(f, HEADER + "D1,Ann,-500,Proposal,2026-01-05,2026-03-31,open\nD2,Bob,99999999999999,Won,2026-01-06,"
           "2026-02-10,won\nD3,Cy,lots,Won,2026-01-06,2026-02-10,won\n")


def odd_dates(f: Path) -> None:
    _deals(f, HEADER + "D1,Ann,10,Proposal,1900-01-01,2200-12-31,open\nD2,Bob,10,Won,2026-03-01,2026-02-01,won\n")


def unknown_stage(f: Path) -> None:
    _deals(f)
    (f / "miroir.toml").write_text('stages = ["Proposal", "Negotiation", "Won", "Lost"]\n')
    (f / "deals.csv").write_text(HEADER + GOOD + "D3,Cy,10,Mystery,2026-01-05,2026-03-31,open\n")


def unknown_status(f: Path) -> None:
    _deals(f, HEADER + GOOD + "D3,Cy,10,Proposal,2026-01-05,2026-03-31,maybe\n")


def vtt_broken(f: Path) -> None:
    _conv(f, "c.vtt", b"WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Ann>Hello there.\n\n"
          b"00:00:xx --> yy\n<v Ann>Broken timestamp line.\n\n00:00:09.000 --> 00:00:12.000\n<v Bob>Hi.\n")


def json_wrong_types(f: Path) -> None:
    _conv(f, "c.json", json.dumps({"utterances": [{"speaker": "Ann", "start": {"x": 1}, "text": 5}]}).encode())


def empty_transcript(f: Path) -> None:
    _conv(f, "c.txt", b"")


def traversal(f: Path) -> None:
    _deals(f)
    (f / "conversations.csv").write_text(
        "conversation_id,kind,started_at,file\nC1,customer_call,2026-01-10,../../etc/passwd\n"
        "C2,customer_call,2026-01-10,/etc/passwd\n")


def symlinks(f: Path) -> None:
    _deals(f)
    (f / "transcripts").mkdir()
    os.symlink("/etc/hostname", f / "transcripts" / "link.txt")
    (f / "conversations.csv").write_text(
        "conversation_id,kind,started_at,file\nC1,customer_call,2026-01-10,transcripts/link.txt\n")
    os.symlink("/etc/hostname", f / "people.csv")


def xlsx_formulas_merged(f: Path) -> None:
    from openpyxl import Workbook

    f.mkdir(parents=True)
    wb = Workbook()
    ws = wb.active
    ws.append(["deal_id", "owner", "amount", "stage", "created_at", "close_date", "status"])
    ws.append(["D1", "Ann", 1000, "Proposal", "2026-01-05", "2026-03-31", "open"])
    ws.append(["D2", "Ann", "=C2*2", "Proposal", "2026-01-05", "2026-03-31", "open"])
    ws.append(["D3", None, 500, "Won", "2026-01-05", "2026-02-01", "won"])
    ws.merge_cells("B2:B4")
    wb.save(f / "deals.xlsx")


def html_names(f: Path) -> None:
    _deals(f, HEADER + 'D1,"<script>alert(1)</script>",1000,Proposal,2026-01-05,2026-03-31,open\n')


def json_table_as_csv(f: Path) -> None:
    _deals(f, '{"deals": [{"deal_id": "D1"}]}')


def unknown_deal_refs(f: Path) -> None:
    _deals(f)
    (f / "deal_changes.csv").write_text("deal_id,changed_at,field,old_value,new_value\n"
                                        "D1,2026-02-01,close_date,2026-03-31,not a date\n"
                                        "D404,2026-02-01,stage,A,B\n")
    (f / "intuitions.csv").write_text("deal_id,recorded_at,person,call\nD405,2026-02-01,Ann,fragile\n")


def big_transcript(f: Path) -> None:
    lines = "".join(f"Ann: line {i} about the budget\nClient: ok {i}\n" for i in range(500_000)).encode()
    _conv(f, "big.txt", lines)


def many_bad_dates(f: Path) -> None:
    bad = "".join(f"X{i},Ann,10,Proposal,someday,2026-03-31,open\n" for i in range(12_000))
    _deals(f, HEADER + bad + GOOD)


def empty_optional_cells(f: Path) -> None:
    _deals(f)
    (f / "people.csv").write_text("person_id,name,role,team,aliases\nP1,Ann,rep,,\nP2,Bob,rep,North,\n")
    (f / "transcripts").mkdir()
    (f / "transcripts" / "c.txt").write_text("Ann: bonjour, on parle du budget aujourd'hui ?\n"
                                             "Client: oui, le budget est validé par la direction.\n")
    (f / "conversations.csv").write_text("conversation_id,kind,started_at,file,deal_ids,language\n"
                                         "C1,customer_call,2026-01-10T10:00:00,transcripts/c.txt,,\n")


CASES: list[Case] = [
    Case("truncated", "CSV cut in the middle of a quoted cell", truncated, ("short_row", "required_empty"),
         "the cut row is reported (short row, empty required cells) and rejected; other rows kept", 2),
    Case("binary", "binary bytes saved as deals.csv", binary, ("binary",), "file-level error: not a CSV", 0),
    Case("utf16", "UTF-16 with BOM", utf16, (), "read as UTF-16, accents kept", 2),
    Case("cp1252", "Windows-1252, semicolons, decimal comma, thousands space", cp1252, (),
         "read; 1 000,50 -> 1000.5", 1),
    Case("bom_crlf_mixed", "UTF-8 BOM, CRLF and a stray CR line ending", bom_crlf_mixed, (),
         "read; header without BOM", 2),
    Case("single_line_200mb", "a 200 MB CSV with no line break", single_line_200mb, ("no_lines",),
         "file-level error after reading 1 MB only", 0, slow=True),
    Case("duplicate_ids", "the same deal_id twice", duplicate_ids, ("duplicate_key",),
         "first kept, duplicate rejected with its row", 2),
    Case("bad_amounts", "negative, absurd and non-numeric amounts", bad_amounts,
         ("amount_negative", "amount_absurd", "number_invalid"), "warnings with the row kept; text amount rejected", 2),
    Case("odd_dates", "dates in 1900 and 2200, close before create", odd_dates,
         ("date_implausible", "close_before_create"), "warnings, rows kept", 2),
    Case("unknown_stage", "a stage not listed in miroir.toml", unknown_stage, ("unknown_stage",),
         "warning, placed after the listed stages", 3),
    Case("unknown_status", "status 'maybe'", unknown_status, ("enum",), "row rejected: status must be open/won/lost",
         2),
    Case("vtt_broken", "VTT cue with a broken timestamp", vtt_broken, (),
         "cue text kept without times; conversation stored", 2),
    Case("json_wrong_types", "JSON transcript with wrong types", json_wrong_types, ("transcript_parse",),
         "warning naming the JSON path; conversation kept without utterances", 2),
    Case("empty_transcript", "empty transcript file", empty_transcript, ("transcript_parse",),
         "warning: no speaker turns", 2),
    Case("traversal", "../../etc/passwd and /etc/passwd as transcript paths", traversal, ("transcript_path",),
         "rows rejected: path outside the dataset folder / absolute", 2),
    Case("symlinks", "transcript and table files that are symlinks to /etc", symlinks,
         ("transcript_path", "symlink_outside"), "not followed; reported", 2),
    Case("xlsx_formulas_merged", "XLSX with a formula without cached value and merged cells", xlsx_formulas_merged,
         ("xlsx_merged", "xlsx_formula"), "merged value repeated; formula cell reported (row rejected if required)",
         2),
    Case("html_names", "an owner named <script>", html_names, (), "kept as text; escaped in the report", 1),
    Case("json_table_as_csv", "a JSON document saved as deals.csv", json_table_as_csv, ("missing_column",),
         "file-level error listing the expected columns", 0),
    Case("unknown_deal_refs", "history and gut calls on unknown deals; a non-date close_date", unknown_deal_refs,
         ("unknown_deal", "date_invalid"), "those rows rejected with their row number", 2),
    Case("many_bad_dates", "12,000 rows with an invalid required date", many_bad_dates, ("date_invalid",),
         "every one of the 12,000 rows rejected and listed (no cap on errors); good rows kept", 2),
    Case("empty_optional_cells", "empty team, aliases, deal_ids and language cells", empty_optional_cells, (),
         "read as missing (never the text 'nan'); language detected from the transcript", 2),
    Case("big_transcript", "a 1,000,000-turn transcript", big_transcript, (), "parsed; all turns stored", 2,
         slow=True),
]


def markdown() -> str:
    lines = ["# Bad inputs: what miroir does with them", "",
             "Generated from `tests/bad_inputs/cases.py`; each row is a test in `tests/bad_inputs/`.",
             "No case produces a traceback; every rejected row is listed by `miroir validate` with its file,",
             "row and column, and the rows read = rows stored + rows rejected for every table.", "",
             "| case | input | reported codes | behaviour |", "|---|---|---|---|"]
    for c in CASES:
        lines.append(f"| `{c.name}` | {c.description} | {', '.join(c.expect_codes) or '—'} | {c.behaviour} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
