"""Verify the access log's hash chain; exit status 1 naming every broken row."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from backend.audit.chain import verify


class Command(BaseCommand):
    help = "Walk the access log's hash chain (SHA-256 and SM3); fail naming each row that breaks it."

    def handle(self, *args: Any, **options: Any) -> None:
        result = verify()
        for problem in result.breaks:
            self.stderr.write(f"access log entry {problem}")
        if result.unchained_before_chain:
            self.stdout.write(f"{result.unchained_before_chain} entries predate the chain (not hashed)")
        if result.breaks:
            raise CommandError(
                f"access log chain broken: {len(result.breaks)} problem(s) in {result.checked} entries"
            )
        self.stdout.write(f"access log chain intact: {result.checked} entries")
