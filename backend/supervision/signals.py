"""What happens to supervised people and their phones, for the layers above supervision.

Supervision is below monitoring and reminders and never imports them; they connect receivers
to these signals in their ``AppConfig.ready``.
"""

from __future__ import annotations

from django.dispatch import Signal

# A phone was enrolled for ``subject`` (``device``), inside the enrollment's transaction: a
# receiver that fails undoes the enrollment. Monitoring starts watching the phone.
phone_enrolled = Signal()

# The supervision of ``subject`` ended (``end_supervision``), inside its transaction. Resettlement
# opens the released person's record; casework closes what was open.
supervision_ended = Signal()

# A level's policy changed (``update_policy``; ``levels``: the levels whose row changed), inside
# its transaction. Monitoring copies the new values into the monitoring states of those levels.
policy_changed = Signal()

# A subject's supervision level changed (``change_level``: ``subject``, ``change``), inside its
# transaction. Monitoring copies the new level's values into the person's monitoring state.
level_changed = Signal()
