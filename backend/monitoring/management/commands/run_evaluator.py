"""``manage.py run_evaluator``: evaluate uploaded check-ins as they arrive (CHECKIN_EVALUATION=queue).

Run one or more per deployment (they share the work through row locks). Each looks for marked
persons every ``evaluation_queue.POLL_S`` (or at once after a round that took longer) and
evaluates all of them in one vectorised batch, oldest marks first (see ``evaluation_queue`` for
why it polls). After a round it waits for the round's console events to leave for the channel
layer before it starts the next.
"""

from __future__ import annotations

import logging
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connection

from backend.monitoring import evaluation_queue
from backend.monitoring.events import coalesce_positions, flush_positions, wait_for_deliveries
from backend.monitoring.services import evaluate_pending

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Evaluate uploaded check-ins as they arrive (CHECKIN_EVALUATION=queue)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="one round, then exit")

    def handle(self, *args: Any, **options: Any) -> None:
        if evaluation_queue.mode() != evaluation_queue.QUEUE:
            raise CommandError("CHECKIN_EVALUATION is 'inline': uploads are evaluated in the API processes.")
        self.stopping = False
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._stop)
        log.info("evaluator polling every %.0f ms", evaluation_queue.POLL_S * 1000)
        self.stdout.write(f"polling every {evaluation_queue.POLL_S * 1000:.0f} ms")
        self.stdout.flush()
        coalesce_positions(evaluation_queue.POSITIONS_EVERY_S)
        try:
            while not self.stopping:
                started = time.monotonic()
                try:
                    # One round a poll (at most 500 persons, oldest marks first): the uploads that
                    # come during a round and the sleep after it make the next one.
                    if evaluation_queue.anything_waiting():
                        evaluate_pending()
                    flush_positions()
                    wait_for_deliveries()  # the round's alerts reach the consoles before the next round
                except Exception:
                    # A lost database connection: start afresh; the marks keep the work.
                    log.exception("evaluation round failed")
                    connection.close()
                    time.sleep(1.0)
                close_old_connections()
                if options["once"]:
                    break
                time.sleep(max(0.0, evaluation_queue.POLL_S - (time.monotonic() - started)))
        finally:
            coalesce_positions(None)  # what is kept goes out before the process ends
            wait_for_deliveries()

    def _stop(self, signum: int, frame: Any) -> None:
        self.stopping = True
