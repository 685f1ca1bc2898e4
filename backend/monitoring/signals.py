"""What happens to alerts, for the modules above monitoring (which never imports them).

They connect receivers in their ``AppConfig.ready``.
"""

from __future__ import annotations

from django.dispatch import Signal

# An alert was resolved (``resolve_alert``: ``alert``, ``user``), inside its transaction: a
# receiver that fails undoes the resolution. The archives file it and, for a 训诫/警告 proposal,
# draft the sanction.
alert_resolved = Signal()
