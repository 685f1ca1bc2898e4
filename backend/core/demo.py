"""The demo county's steps, registered by each module that brings demo records.

``manage.py load_demo`` (in monitoring) builds the people, phones, fences and check-ins, then runs
every step registered here in ``order``: a module above monitoring (casework, screening,
archives…) registers its step in its ``AppConfig.ready`` so the command needs no import of it.
A step is idempotent (it may run on a county that already has its records) and returns one line
that the command prints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class DemoStep:
    name: str
    run: Callable[[], str]
    order: int


_steps: dict[str, DemoStep] = {}


def register_demo_step(name: str, run: Callable[[], str], *, order: int = 100) -> None:
    """Add (or replace, by name) a step of the demo county; lower ``order`` runs first."""
    _steps[name] = DemoStep(name=name, run=run, order=order)


def demo_steps() -> list[DemoStep]:
    return sorted(_steps.values(), key=lambda step: (step.order, step.name))
