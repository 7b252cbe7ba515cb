"""The results: targets and ratios, ``<name>.json`` for machines and ``<name>.md`` for people."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

# Booking creates/s must reach this share of the same-run INSERT floor…
CREATE_TARGET = 0.50
# …and list p99 must stay within this multiple of the same-run SELECT floor's p99.
LIST_TARGET = 3.0


def judge(app: dict[str, Any], floor: dict[str, Any]) -> dict[str, Any]:
    """Ratios of the app to its floor, and whether each target is met."""
    create_ratio = ratio(app["create"]["per_second"], floor["insert"]["per_second"])
    list_p50_ratio = ratio(app["list"]["p50_ms"], floor["select"]["p50_ms"])
    list_p99_ratio = ratio(app["list"]["p99_ms"], floor["select"]["p99_ms"])
    return {
        "create_ratio": create_ratio,
        "create_target": CREATE_TARGET,
        "create_target_met": create_ratio >= CREATE_TARGET,
        "list_p50_ratio": list_p50_ratio,
        "list_p99_ratio": list_p99_ratio,
        "list_target": LIST_TARGET,
        "list_target_met": list_p99_ratio <= LIST_TARGET,
    }


def ratio(numerator: float, denominator: float) -> float:
    if not denominator or math.isnan(denominator) or math.isnan(numerator):
        return math.nan
    return round(numerator / denominator, 3)


def save(results: dict[str, Any], directory: Path, name: str, text: str) -> None:
    """A benchmark's figures as ``name``.json and its table ``text`` as ``name``.md, printed."""
    directory.mkdir(exist_ok=True)
    (directory / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
    (directory / f"{name}.md").write_text(text)
    print(text)


def write(results: dict[str, Any], directory: Path, name: str) -> tuple[Path, Path]:
    """Writes both files through a temporary name, so a reader never sees half a file."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        directory / f"{name}.json": json.dumps(results, indent=2) + "\n",
        directory / f"{name}.md": markdown(results),
    }
    for path, text in files.items():
        temporary = path.with_suffix(path.suffix + ".tmp")
        temporary.write_text(text)
        temporary.replace(path)
    json_path, md_path = files
    return json_path, md_path


def markdown(results: dict[str, Any]) -> str:
    options, machine = results["options"], results["machine"]
    lines = [
        f"# calbridge benchmark, {results['started_at']}",
        "",
        f"{options['events']:,} events on the listed calendar · {options['concurrency']} requests "
        f"in flight · {options['seconds']:g} s measured in {options['rounds']} turns after "
        f"{options['warmup_seconds']:g} s warm-up, per phase and server · {machine['cpus']} CPUs · "
        f"Python {machine['python']}",
        "",
        f"Load average (1 min) {machine['load_average_at_start']:.1f} at the start, "
        f"{machine['load_average_at_end']:.1f} at the end (above the CPU count, other work "
        "competed for the machine: absolute figures drop, and ratios are steadier but not "
        "immune).",
        "",
        "| database | measure | app | floor | app / floor | target | met |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for kind, result in results["databases"].items():
        if result["status"] != "ok":
            lines.append(f"| {kind} | skipped: {result['reason']} | | | | | |")
            continue
        app, floor, judged = result["app"], result["floor"], result["targets"]
        lines += [
            f"| {kind} | booking creates/s | {app['create']['per_second']:,.0f} "
            f"| {floor['insert']['per_second']:,.0f} | {judged['create_ratio']:.2f} "
            f"| ≥ {CREATE_TARGET:.2f} | {_met(judged['create_target_met'])} |",
            f"| {kind} | list p50 ms | {app['list']['p50_ms']:.1f} "
            f"| {floor['select']['p50_ms']:.1f} | {judged['list_p50_ratio']:.2f} | | |",
            f"| {kind} | list p99 ms | {app['list']['p99_ms']:.1f} "
            f"| {floor['select']['p99_ms']:.1f} | {judged['list_p99_ratio']:.2f} "
            f"| ≤ {LIST_TARGET:.2f} | {_met(judged['list_target_met'])} |",
        ]
    lines += [
        "",
        "Each phase (CPU in cores; the server is one uvicorn process, the client is this one):",
        "",
        "| database | server | phase | requests | errors | req/s | p50 ms | p99 ms "
        "| server CPU | client CPU |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    errors = []
    for kind, result in results["databases"].items():
        if result["status"] != "ok":
            continue
        for server in ("app", "floor"):
            for phase_name, phase in result[server].items():
                lines.append(
                    f"| {kind} | {server} | {phase_name} | {phase['requests']:,} "
                    f"| {phase['errors']} | {phase['per_second']:,.0f} | {phase['p50_ms']:.1f} "
                    f"| {phase['p99_ms']:.1f} | {phase['server_cpu_cores']:.2f} "
                    f"| {phase['client_cpu_cores']:.2f} |"
                )
                if phase["first_error"]:
                    errors.append(f"- {kind} {server} {phase_name}: {phase['first_error']}")
    if errors:
        lines += ["", "First unexpected response per phase:", "", *errors]
    return "\n".join(lines) + "\n"


def _met(met: bool) -> str:
    return "yes" if met else "**no**"
