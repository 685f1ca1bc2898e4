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
