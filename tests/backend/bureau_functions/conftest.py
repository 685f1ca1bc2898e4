"""The bureau's units of the small cast (tests/backend/bureau) for publicity, mediation, learning and the plan."""

from tests.backend.bureau.conftest import (  # noqa: F401  (fixtures)
    department,
    make_reporter,
    reporter_a,
    town_a,
    town_b,
    village_a,
)
