"""The QUALITY.md performance table from bench-results/*.json (and bench-results/before/):
`python -m tests.bench.report` prints it as Markdown (`make bench` runs it last)."""
from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[2] / "bench-results"
ROWS = [
    ("baseline", "baseline (one PK SELECT)"),
    ("read_student_home", "student home"),
    ("read_student_invitations", "student invitation list"),
    ("read_student_invitation_detail", "invitation detail"),
    ("read_employer_home", "employer home"),
    ("read_employer_invitations", "employer list"),
    ("read_notifications", "notifications"),
    ("write_accept", "accept"),
    ("write_reject", "reject"),
    ("write_single_invitation", "single invitation"),
    ("batch_invitation_1000", "batch of 1,000 over HTTP"),
    ("reviewer_queue_500k", "reviewer queue, 500k rows"),
    ("export_100k_rows", "Excel export, 100k rows"),
    ("roster_import_20000", "roster import, 20k rows"),
    ("fan_out_10000", "fan-out 10k, 2 workers"),
    ("expiry_sweep_100k_of_1m", "expiry sweep 100k of 1M"),
]


def figure(result: dict | None) -> str:
    if not result:
        return "—"
    f = result.get("figures") or {}
    name = result["name"]
    if name == "baseline":
        return f"{f.get('median_rps', f.get('rps'))} req/s, p99 {f.get('median_p99_ms', f.get('p99_ms'))} ms"
    if name.startswith("read_"):
        return f"{f['rps_ratio']} × ({f['rps']} req/s), p99 {f['p99_ratio']} ×"
    if name.startswith("write_"):
        return f"{f['rps_ratio']} × ({f['rps']} req/s), {f.get('committed')} committed"
    if name == "batch_invitation_1000":
        return f"{f['median_s']} s median"
    if name == "fan_out_10000":
        return f"{f['seconds']} s ({f['per_second']}/s), lost {f.get('lost')}, doubled {f.get('doubled')}"
    if name == "export_100k_rows":
        return f"RSS +{f['rss_growth_mb']} MB, {f['seconds']} s"
    if name == "roster_import_20000":
        return f"{f['seconds']} s, {f['imported']} imported"
    if name == "expiry_sweep_100k_of_1m":
        if f.get("completed") is False:
            return f"{f['rate_per_s']}/s: ≈ {f['projected_seconds']} s projected (stopped)"
        rate = round(f["expired"] / f["seconds"]) if f.get("seconds") else "?"
        return f"{f['seconds']} s, {f['expired']} expired ({rate}/s)"
    if name == "reviewer_queue_500k":
        return (f"worst {f['worst_ms']} ms, median {f['median_ms']} ms, ≤ {f['max_statements']} statements"
                if f else "not measured")
    return json.dumps(f, ensure_ascii=False)


def load(folder: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in folder.glob("*.json")}


def table() -> str:
    after, before = load(RESULTS), load(RESULTS / "before")
    lines = ["| measure | bar | before | after | meets_bar |", "| --- | --- | --- | --- | --- |"]
    for name, label in ROWS:
        result = after.get(name)
        bar = (result or before.get(name) or {}).get("bar", "")
        meets = "—" if not result or result.get("meets_bar") is None else (
            "yes" if result["meets_bar"] else "no")
        lines.append(f"| {label} | {bar} | {figure(before.get(name))} | {figure(result)} | {meets} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
