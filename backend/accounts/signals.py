"""What happens to staff sessions, for the layers above accounts to react to.

Accounts is below audit (the access log's rows point at accounts' users), so the login views do
not write the access log themselves: they send these signals and ``backend.audit`` records them.
Every receiver gets the request (DRF's) as ``request``.
"""

from __future__ import annotations

from django.dispatch import Signal

# A staff member logged in through the API: ``user``.
staff_logged_in = Signal()
# A login through the API was refused: ``username`` (as typed, at most 150 characters).
staff_login_failed = Signal()
# A staff member is about to log out (the request still carries them).
staff_logging_out = Signal()
# An admin page showed or changed records: ``action`` (list, read, create, update, delete),
# ``resource`` (the model's name), ``object_id``, ``status_code``, ``detail`` (e.g. the ids listed).
staff_admin_access = Signal()
