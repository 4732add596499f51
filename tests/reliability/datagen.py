"""Deterministic dataset folders for the reliability tests and benches (no randomness from the clock)."""

from __future__ import annotations

from pathlib import Path

DEALS_HEADER = "deal_id,name,account,owner,amount,stage,created_at,close_date,status\n"
CHANGES_HEADER = "deal_id,changed_at,field,old_value,new_value,changed_by\n"
STATUSES = ("open", "won", "lost")
STAGES = ("Discovery", "Proposal", "Negotiation")


def write_deals(folder: Path, n_deals: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "deals.csv").open("w", encoding="utf-8", newline="") as f:
        f.write(DEALS_HEADER)
        for i in range(n_deals):
            status = STATUSES[i % 3]
            stage = {"won": "Won", "lost": "Lost"}.get(status, STAGES[i % 3])
            f.write(f"D{i},Deal {i},Account {i % 97},Rep {i % 23},{1000 + (i * 37) % 90000},{stage},"
                    f"2025-{1 + i % 9:02d}-{10 + i % 9},2026-{1 + i % 9:02d}-{20 + i % 9},{status}\n")


def write_deal_changes(folder: Path, n_changes: int, n_deals: int) -> None:
    with (folder / "deal_changes.csv").open("w", encoding="utf-8", newline="") as f:
        f.write(CHANGES_HEADER)
        for i in range(n_changes):
            d = (i * 7919) % n_deals
            month, day = 1 + i % 9, 10 + i % 9
            kind = i % 3
            if kind == 0:
                f.write(f"D{d},2025-{month:02d}-{day}T10:{i % 60:02d}:00Z,close_date,2026-01-15,"
                        f"2026-02-{10 + i % 9},\n")
            elif kind == 1:
                f.write(f"D{d},2025-{month:02d}-{day}T11:{i % 60:02d}:00Z,stage,Discovery,Proposal,Rep {i % 23}\n")
            else:
                f.write(f"D{d},2025-{month:02d}-{day}T12:{i % 60:02d}:00Z,amount,1000,{1000 + i % 9000},\n")


def build_crm(folder: Path, n_deals: int, n_changes: int) -> Path:
    write_deals(folder, n_deals)
    write_deal_changes(folder, n_changes, n_deals)
    return folder
