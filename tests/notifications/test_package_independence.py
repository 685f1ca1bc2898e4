"""notifications can be lifted out: importing all of it loads neither Django nor the backend."""

from __future__ import annotations

import subprocess
import sys


def test_importing_every_module_loads_no_django_and_no_backend():
    code = (
        "import sys\n"
        "import notifications, notifications.fcm, notifications.console, notifications.retry\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'django', 'rest_framework', 'backend'})\n"
        "print(','.join(bad))\n"
    )

    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert completed.stdout.strip() == ""
