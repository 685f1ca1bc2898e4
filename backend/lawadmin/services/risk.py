"""The contract special review: a risky contract found by a unit's self-check becomes its
rectification item (the rectification ledger the units send the bureau)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from backend.accounts.models import User
from backend.bureau.services import check_editable, open_rectification
from backend.lawadmin.models import ContractSelfCheck, RiskyContract


@transaction.atomic
def flag_risky_contract(
    self_check: ContractSelfCheck,
    *,
    title: str,
    counterparty: str,
    risk: str,
    plan: str,
    deadline: dt.date,
    amount: Decimal | None = None,
    by: User | None = None,
) -> RiskyContract:
    """Add a risky contract to a self-check still being written, and open its rectification item."""
    check_editable(self_check)
    contract = RiskyContract.objects.create(
        self_check=self_check, title=title, counterparty=counterparty, amount=amount, risk=risk, plan=plan
    )
    open_rectification(
        unit=self_check.unit,
        finding=f"{title}({counterparty}):{risk}",
        requirement=plan,
        deadline=deadline,
        source=contract,
        created_by=by,
    )
    return contract
