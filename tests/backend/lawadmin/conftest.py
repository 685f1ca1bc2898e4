from tests.backend.bureau.conftest import (  # noqa: F401 - the bureau's unit fixtures
    department,
    other_department,
    reporter_a,
    reporter_dept,
    town_a,
    town_b,
    village_a,
)
