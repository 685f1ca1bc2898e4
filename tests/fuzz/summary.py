"""A short reading of a fuzz pass: what each operation answered, and the failures grouped by cause.

Reads the NDJSON event stream ``schemathesis run --report ndjson`` writes and the server's log:

- per operation, how many requests were sent and how many got a 2xx (an operation whose requests
  all end in 4xx was never exercised past its validation or its 404);
- each distinct failure (check, operation, status, message) once, with its count and the shortest
  request that produced it (method, URL with its query, body);
- the exceptions in the server's log (``Internal Server Error: <path>`` and the traceback's last line),
  grouped by path and exception.

``python -m tests.fuzz.summary test-artifacts/fuzz/<pass> [server.log]`` prints the same.
"""

from __future__ import annotations

import base64
import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BODY_LIMIT = 300
# A log record's first line (Django's formatter, or gunicorn's own): the traceback above it has ended.
NEW_RECORD = re.compile(r"^\[?\d{4}-\d\d-\d\d ")


@dataclass
class Group:
    count: int = 0
    example: str = ""
    response: str = ""


@dataclass
class Reading:
    sent: Counter[str] = field(default_factory=Counter)
    succeeded: Counter[str] = field(default_factory=Counter)
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    failures: dict[tuple[str, str, int, str], Group] = field(default_factory=lambda: defaultdict(Group))


def _text(content: Any) -> str:
    if isinstance(content, dict) and "$base64" in content:
        return base64.b64decode(content["$base64"]).decode("utf-8", errors="replace")
    return "" if content is None else str(content)


def _short(text: str, limit: int = BODY_LIMIT) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} chars)"


def _request(case: dict[str, Any], interaction: dict[str, Any] | None) -> str:
    method = case.get("method", "?")
    uri = (interaction or {}).get("request", {}).get("uri") or case.get("path", "?")
    uri = re.sub(r"^https?://[^/]+", "", uri)
    line = f"{method} {_short(uri, 400)}"
    if "body" in case:
        body = case["body"]
        shown = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
        line += f"  body={_short(shown)}"
    return line


def read(report_dir: Path) -> Reading:
    reading = Reading()
    for path in sorted(report_dir.glob("*.ndjson")):
        for line in path.read_text(encoding="utf-8").splitlines():
            event = json.loads(line)
            finished = event.get("ScenarioFinished")
            if not finished:
                continue
            recorder = finished["recorder"]
            cases = {cid: entry["value"] for cid, entry in recorder.get("cases", {}).items()}
            interactions = recorder.get("interactions", {})
            for interaction in interactions.values():
                status = (interaction.get("response") or {}).get("status_code")
                label = recorder["label"]  # the documented operation, also for its undocumented-method probes
                reading.sent[label] += 1
                reading.statuses[label][status or 0] += 1
                if status is not None and 200 <= status < 300:
                    reading.succeeded[label] += 1
            for cid, checks in recorder.get("checks", {}).items():
                for check in checks:
                    if check.get("status") != "failure":
                        continue
                    failure = check["failure_info"]["failure"]
                    interaction = interactions.get(cid)
                    response = (interaction or {}).get("response") or {}
                    status = response.get("status_code", 0)
                    message = failure.get("message", "").splitlines()[0] if failure.get("message") else ""
                    key = (
                        f"{failure.get('code', '')} {failure.get('title', check['name'])}",
                        failure.get("operation", recorder["label"]),
                        status,
                        message,
                    )
                    group = reading.failures[key]
                    group.count += 1
                    example = _request(cases.get(cid, {}), interaction)
                    if not group.example or len(example) < len(group.example):
                        group.example = example
                        group.response = _short(_text(response.get("content")), 200)
    return reading


def server_exceptions(log_path: Path, offset: int = 0) -> Counter[tuple[str, str]]:
    """(path, last line of the traceback) of each 500 the server logged past byte ``offset``."""
    found: Counter[tuple[str, str]] = Counter()
    if not log_path.exists():
        return found
    with open(log_path, "rb") as log:
        log.seek(offset)
        lines = log.read().decode("utf-8", errors="replace").splitlines()
    for i, line in enumerate(lines):
        match = re.search(r"Internal Server Error: (\S+)", line)
        if not match:
            continue
        exception = ""
        for following in lines[i + 1 : i + 400]:
            if NEW_RECORD.match(following):
                break
            if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Warning|Exit)\b", following):
                exception = following
        found[(match.group(1), _short(exception, 200))] += 1
    return found


def unauthorized_only(reading: Reading) -> list[str]:
    """Operations every request of which was refused for its credential (never reached with valid auth)."""
    return sorted(op for op, seen in reading.statuses.items() if seen and set(seen) <= {401, 403})


def unexpected_failures(reading: Reading, known: set[str]) -> list[str]:
    """The failures that are server errors, or not in ``known`` ("<code> <METHOD> <path>" lines)."""
    out = []
    for cause, operation, status, _message in reading.failures:
        code = cause.split(" ", 1)[0]
        if code == "ST101" or status >= 500 or f"{code} {operation}" not in known:
            out.append(f"{code} {operation} -> {status}")
    return sorted(set(out))


def render(name: str, reading: Reading, exceptions: Counter[tuple[str, str]] | None = None) -> str:
    out = [f"== {name}: {sum(reading.sent.values())} requests to {len(reading.sent)} operations"]
    never = sorted(op for op in reading.sent if not reading.succeeded[op])
    out.append(f"operations that never answered 2xx ({len(never)}): " + (", ".join(never) or "none"))
    refused = unauthorized_only(reading)
    out.append(f"operations that only answered 401/403 ({len(refused)}): " + (", ".join(refused) or "none"))
    by_cause: dict[str, list[tuple[tuple[str, str, int, str], Group]]] = defaultdict(list)
    for key, group in reading.failures.items():
        by_cause[key[0]].append((key, group))
    total = sum(group.count for group in reading.failures.values())
    out.append(f"failures: {total} failing checks in {len(reading.failures)} distinct groups")
    for cause in sorted(by_cause):
        out.append(f"\n-- {cause}")
        for (_, operation, status, message), group in sorted(
            by_cause[cause], key=lambda kv: (kv[0][1], kv[0][2])
        ):
            out.append(f"  {operation} -> {status} ×{group.count}: {_short(message, 160)}")
            out.append(f"      e.g. {group.example}")
            if group.response:
                out.append(f"      answer: {group.response}")
    if exceptions:
        out.append("\n-- server log: exceptions behind the 500s (path, exception, count)")
        for (path, exception), count in sorted(exceptions.items()):
            out.append(f"  {path}  {exception or '(no traceback line found)'}  ×{count}")
    return "\n".join(out)


def main() -> None:
    report_dir = Path(sys.argv[1])
    log = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    print(render(report_dir.name, read(report_dir), server_exceptions(log) if log else None))


if __name__ == "__main__":
    main()
