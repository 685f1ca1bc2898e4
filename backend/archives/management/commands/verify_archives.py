"""``manage.py verify_archives``: check every archive's files and hash chains; non-zero on a break."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backend.archives.services.verification import verify_archives


class Command(BaseCommand):
    help = (
        "Check every archive file against its SHA-256 and SM3 digests and every archive's hash chain; "
        "exit with status 1 naming each break."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workers", type=int, default=None, help="processes (default: one per core)")
        only = parser.add_mutually_exclusive_group()
        only.add_argument("--chains-only", action="store_true", help="check the chains, not the files")
        only.add_argument("--files-only", action="store_true", help="check the files, not the chains")
        parser.add_argument(
            "--files-sha256-only",
            action="store_true",
            help="check files by SHA-256 alone (records are still checked by both digests)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] is not None and options["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        started = time.perf_counter()
        result = verify_archives(
            workers=options["workers"],
            chains=not options["files_only"],
            files=not options["chains_only"],
            sm3_of_files=not options["files_sha256_only"],
        )
        seconds = time.perf_counter() - started
        for found in result.breaks:
            self.stderr.write(f"BROKEN {found}")
        summary = (
            f"{result.archives} archives, {result.entries} chain entries, {result.files} files "
            f"({result.bytes_read / 1e6:.1f} MB) checked in {seconds:.1f} s: "
        )
        if result.breaks:
            raise CommandError(summary + f"{len(result.breaks)} breaks", returncode=1)
        self.stdout.write(summary + "all intact")
