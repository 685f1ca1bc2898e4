"""``manage.py run_evaluator``: evaluate uploaded check-ins as they arrive (CHECKIN_EVALUATION=queue).

Run one or more per deployment (they share the work through row locks). Each LISTENs on the
doorbell (PostgreSQL NOTIFY), evaluates every person rung since its last round in one vectorised batch, and sweeps
fixes left waiting longer than a few seconds.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection
from django.utils import timezone

from backend.monitoring import evaluation_queue
from backend.monitoring.services import evaluate_pending

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Evaluate uploaded check-ins as they arrive (CHECKIN_EVALUATION=queue)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="one round (and sweep), then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        if evaluation_queue.mode() != evaluation_queue.QUEUE:
            raise CommandError("CHECKIN_EVALUATION is 'inline': uploads are evaluated in the API processes.")
        self.stopping = False
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._stop)
        listener = evaluation_queue.Listener()
        listener.listen()
        # Listening first, then everything waiting: rings sent while no evaluator listened are lost,
        # their marks are not.
        while evaluate_pending() > 0:
            pass
        last_sweep = time.monotonic()
        log.info("evaluator listening on %s", evaluation_queue.channel())
        self.stdout.write(f"listening on {evaluation_queue.channel()}")
        self.stdout.flush()
        while not self.stopping:
            try:
                ids = listener.wait(timeout_s=1.0)
                if ids:
                    evaluate_pending(ids)
                if time.monotonic() - last_sweep >= evaluation_queue.SWEEP_AFTER_S:
                    last_sweep = time.monotonic()
                    evaluate_pending(older_than=timezone.now() - dt.timedelta(seconds=evaluation_queue.SWEEP_AFTER_S))
            except Exception:
                # A lost database connection: start afresh; the marks keep the work.
                log.exception("evaluation round failed")
                connection.close()
                listener.close()
                time.sleep(1.0)
            close_old_connections()
            if options["once"]:
                break
        listener.close()

    def _stop(self, signum: int, frame: Any) -> None:
        self.stopping = True
