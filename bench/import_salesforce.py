"""Benchmark: import a Salesforce export with 1,000,000 OpportunityHistory rows.

    .venv/bin/python bench/import_salesforce.py [--rows 1000000] [--keep DIR]

Generates (vectorised, not timed) Opportunity.csv (rows/10 deals), User.csv and
OpportunityHistory.csv with ~10 snapshots per deal (stage moves, amount and
close-date edits, 1% duplicate snapshot rows, 0.5% IsDeleted rows, times with
``Z``), then times ``import_salesforce`` end to end (read, diff, write). Target:
< 60 s for 1 M rows.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from miroir.importers.salesforce import import_salesforce  # noqa: E402

STAGES = np.array(["Prospecting", "Qualification", "Propuesta", "Négociation", "Closed Won", "Closed Lost"])


def generate(folder: Path, rows: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    n_deals = max(rows // 10, 1)
    deal_ids = np.char.add("006", np.char.zfill(np.arange(n_deals).astype(str), 12))
    deal_ids = np.char.add(deal_ids, "AAA")
    users = np.char.add(np.char.add("005", np.char.zfill(np.arange(50).astype(str), 12)), "AAA")
    pd.DataFrame({"Id": users, "Name": [f"Rep {i}" for i in range(50)], "IsActive": np.where(np.arange(50) < 45, "true", "false"),
                  "UserType": "Standard", "ManagerId": ""}).to_csv(folder / "User.csv", index=False)
    per = np.full(n_deals, rows // n_deals)
    per[: rows - per.sum()] += 1
    opp_idx = np.repeat(np.arange(n_deals), per)
    step = np.concatenate([np.arange(k) for k in per])
    created = (np.datetime64("2023-01-01T00:00:00", "s")
               + rng.integers(0, 365 * 24 * 3600, n_deals).astype("timedelta64[s]"))
    ts = created[opp_idx] + (step * 3 * 86400 + rng.integers(0, 86400, len(step))).astype("timedelta64[s]")
    stage_i = np.minimum(step // 2, 3)
    final = rng.integers(0, 3, n_deals)  # 0 open, 1 won, 2 lost
    last = np.r_[opp_idx[1:] != opp_idx[:-1], True]
    stage_i = np.where(last & (final[opp_idx] == 1), 4, np.where(last & (final[opp_idx] == 2), 5, stage_i))
    base_amount = rng.integers(5, 200, n_deals) * 1000
    amount = base_amount[opp_idx] + (step // 3) * 500
    close = (np.datetime64("2023-03-01", "D") + rng.integers(0, 400, n_deals).astype("timedelta64[D]"))[opp_idx] \
        + (step // 4 * 30).astype("timedelta64[D]")
    hist = pd.DataFrame({
        "Id": np.char.add("008", np.char.zfill(np.arange(len(step)).astype(str), 15)),
        "OpportunityId": deal_ids[opp_idx],
        "CreatedById": users[opp_idx % 50],
        "CreatedDate": pd.Series(ts).dt.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "StageName": STAGES[stage_i],
        "Amount": amount.astype(str),
        "CloseDate": pd.Series(close).dt.strftime("%Y-%m-%d"),
        "Probability": (stage_i * 20).astype(str),
        "ForecastCategory": np.array(["Pipeline", "Pipeline", "BestCase", "Forecast", "Closed", "Omitted"])[stage_i],
        "IsDeleted": np.where(rng.random(len(step)) < 0.005, "true", "false"),
        "PrevAmount": "",
    })
    dups = hist.sample(frac=0.01, random_state=seed).assign(Id=lambda d: d["Id"].str.replace("008", "009", n=1))
    hist = pd.concat([hist.iloc[: rows - len(dups)], dups], ignore_index=True)
    hist.to_csv(folder / "OpportunityHistory.csv", index=False)
    last_rows = pd.DataFrame({"OpportunityId": deal_ids[opp_idx[last]], "StageName": STAGES[stage_i[last]],
                              "Amount": amount[last].astype(str), "CloseDate": pd.Series(close[last]).dt.strftime("%Y-%m-%d")})
    pd.DataFrame({
        "Id": deal_ids, "IsDeleted": "false", "Name": [f"Deal {i}" for i in range(n_deals)],
        "StageName": last_rows["StageName"], "Amount": last_rows["Amount"], "CloseDate": last_rows["CloseDate"],
        "IsClosed": np.where(final > 0, "true", "false"), "IsWon": np.where(final == 1, "true", "false"),
        "ForecastCategory": "Pipeline", "CurrencyIsoCode": "EUR", "OwnerId": users[np.arange(n_deals) % 50],
        "CreatedDate": pd.Series(created).dt.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    }).to_csv(folder / "Opportunity.csv", index=False)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--keep", type=Path, default=None)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        src, out = base / "src", base / "out"
        src.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        generate(src, args.rows)
        t1 = time.perf_counter()
        report = import_salesforce(src, out)
        t2 = time.perf_counter()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"generated {args.rows:,} OpportunityHistory rows in {t1 - t0:.1f} s")
        print(f"import: {t2 - t1:.1f} s ({args.rows / (t2 - t1):,.0f} history rows/s); peak RSS {peak:,.0f} MiB")
        print(f"  deals {report.tables['deals']:,}, deal_changes {report.tables['deal_changes']:,}")
        for reason, n in report.excluded.items():
            print(f"  excluded: {n:,} {reason}")
        print("PASS (< 60 s)" if t2 - t1 < 60 else "FAIL (>= 60 s)")


if __name__ == "__main__":
    main()
