"""Benchmark: rank every need against every open offer (load from the database + score).

Run from the repository root:  .venv/bin/python bench/matching.py
Uses the configured database (DATABASE_URL, or the SQLite file after `manage.py migrate`).
Everything it creates lives inside one transaction that is rolled back at the end.
Goal (issue): 5,000 needs × 1,000 offers in at most 2 s; doubling both at most 4.4× the time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from django.db import connection, reset_queries, transaction  # noqa: E402

from assistance.matching import load_needs, load_offer_matrix, rank_offers  # noqa: E402
from assistance.models import AssistanceType, Match, Need, Offer, Theme, donor_key  # noqa: E402
from core.models import MemberState, Organisation, User  # noqa: E402

SEED = 20260
SIZES = [(5_000, 1_000), (10_000, 2_000)]
MATCHES_PER_1000_NEEDS = 60  # a few hundred funded or completed matches: the donors' history
RESULTS = ROOT / "bench" / "results" / "matching.json"
GOAL_SECONDS, GOAL_RATIO = 2.0, 4.4


class Rollback(Exception):
    """Raised to leave the benchmark's transaction without keeping a row."""


class World:
    """Random but reproducible needs, offers and matches, added in batches."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.states = list(MemberState.objects.all())
        self.regions = sorted({s.region for s in self.states})
        donor_states = rng.sample(self.states, 30)
        organisations = list(Organisation.objects.all())
        self.donors = [(s, None) for s in donor_states] + [(None, o) for o in organisations]
        self.user = User.objects.create(username=f"bench-{rng.getrandbits(32):x}")
        self.need_ids: list[int] = []
        self.offer_ids: list[int] = []
        self.funded: set[tuple[int, str]] = set()

    def _cost(self, low: float, high: float) -> Decimal:
        return Decimal(round(10 ** self.rng.uniform(low, high), -2))

    def _currency(self) -> str:
        return self.rng.choices(["USD", "EUR", "CHF", "GBP"], weights=[80, 14, 3, 3])[0]

    def add_offers(self, count: int) -> None:
        rng = self.rng
        offers = []
        for i in range(count):
            state, organisation = rng.choice(self.donors)
            low = self._cost(3.5, 5) if rng.random() < 0.6 else None
            high = self._cost(5, 6.5) if rng.random() < 0.8 else None
            if low is not None and high is not None and low > high:
                low, high = high, low
            offers.append(
                Offer(
                    donor_state=state,
                    donor_organisation=organisation,
                    title=f"Benchmark offer {len(self.offer_ids) + i}",
                    themes=rng.sample(Theme.values, rng.randint(1, 5)),
                    kinds=rng.sample(AssistanceType.values, rng.randint(1, 3)),
                    eligible_regions=(
                        rng.sample(self.regions, rng.randint(1, 2)) if rng.random() < 0.3 else []
                    ),
                    budget_min=low,
                    budget_max=high,
                    currency=self._currency(),
                    created_by=self.user,
                )
            )
        created = Offer.objects.bulk_create(offers, batch_size=500)
        self._name_states(created)
        self.offer_ids += [o.pk for o in created]

    def _name_states(self, offers: list[Offer]) -> None:
        """About one offer in ten names a few eligible States."""
        through = Offer.eligible_states.through
        rows = [
            through(offer_id=offer.pk, memberstate_id=state.pk)
            for offer in offers
            if self.rng.random() < 0.1
            for state in self.rng.sample(self.states, self.rng.randint(2, 6))
        ]
        through.objects.bulk_create(rows, batch_size=1000)

    def add_needs(self, count: int) -> None:
        rng = self.rng
        needs = []
        for _i in range(count):
            has_cost = rng.random() < 0.85
            needs.append(
                Need(
                    state=rng.choice(self.states),
                    theme=rng.choice(Theme.values),
                    kind=rng.choice(AssistanceType.values),
                    priority=rng.choice(Need.Priority.values),
                    description="Benchmark need.",
                    estimated_cost=self._cost(3, 6.7) if has_cost else None,
                    currency=self._currency() if has_cost else "",
                    status=rng.choices(["open", "in_discussion", "withdrawn"], [85, 10, 5])[0],
                )
            )
        created = Need.objects.bulk_create(needs, batch_size=1000)
        self.need_ids += [n.pk for n in created]
        self._fund(count * MATCHES_PER_1000_NEEDS // 1000)

    def _fund(self, count: int) -> None:
        """Funded and completed matches on random needs: the history of each donor."""
        matches = []
        while len(matches) < count:
            need_id = self.rng.choice(self.need_ids)
            state, organisation = self.rng.choice(self.donors)
            key = donor_key(state, organisation)
            if (need_id, key) in self.funded:
                continue
            self.funded.add((need_id, key))
            matches.append(
                Match(
                    need_id=need_id,
                    donor_state=state,
                    donor_organisation=organisation,
                    donor_key=key,
                    status=self.rng.choice([Match.Status.FUNDED, Match.Status.COMPLETED]),
                    created_by=self.user,
                )
            )
        Match.objects.bulk_create(matches, batch_size=1000)


def rank_everything(first_need: int, first_offer: int) -> tuple[int, float, float]:
    """What a nightly job or the donor board does: load needs and offers, rank all needs.
    The pk bounds keep rows that were in the database before the benchmark out of it."""
    start = time.perf_counter()
    needs = load_needs(Need.objects.active().filter(pk__gte=first_need))
    matrix = load_offer_matrix(Offer.objects.filter(status="open", pk__gte=first_offer))
    loaded = time.perf_counter()
    ranked = rank_offers(needs, matrix, top=10)
    done = time.perf_counter()
    return len(ranked), loaded - start, done - loaded


def measure(world: World, repeat: int) -> dict:
    first_need, first_offer = world.need_ids[0], world.offer_ids[0]
    runs = []
    for _ in range(repeat):
        reset_queries()
        ranked, load, rank = rank_everything(first_need, first_offer)
        runs.append({"load": load, "rank": rank, "total": load + rank})
        queries = len(connection.queries)
    best = min(runs, key=lambda r: r["total"])
    return {
        "needs": len(world.need_ids),
        "offers": len(world.offer_ids),
        "needs_ranked": ranked,
        "queries": queries,
        "best": {k: round(v, 4) for k, v in best.items()},
        "runs": [round(r["total"], 4) for r in runs],
    }


def benchmark(repeat: int) -> list[dict]:
    """Create the data, measure both sizes, then roll everything back."""
    results: list[dict] = []
    try:
        with transaction.atomic():
            world = World(random.Random(SEED))
            for needs, offers in SIZES:
                world.add_offers(offers - len(world.offer_ids))
                world.add_needs(needs - len(world.need_ids))
                results.append(measure(world, repeat))
                print_row(results[-1])
            raise Rollback
    except Rollback:
        pass
    return results


def print_row(row: dict) -> None:
    best = row["best"]
    print(
        f"{row['needs']:>7,} {row['offers']:>7,} {best['load']:>8.3f} {best['rank']:>8.3f} "
        f"{best['total']:>8.3f}   {', '.join(f'{t:.3f}' for t in row['runs'])}",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; the best counts")
    args = parser.parse_args()
    vendor = connection.vendor
    print(f"Matching benchmark on {vendor}, best of {args.repeat} (seconds)")
    print(f"{'needs':>7} {'offers':>7} {'load':>8} {'rank':>8} {'total':>8}   all runs")
    results = benchmark(args.repeat)
    base, doubled = results[0]["best"]["total"], results[1]["best"]["total"]
    ratio = doubled / base
    met = base <= GOAL_SECONDS and ratio <= GOAL_RATIO
    print(f"doubled / base: {ratio:.2f}× (goal: base ≤ {GOAL_SECONDS} s, ratio ≤ {GOAL_RATIO}×)")
    print("goal met" if met else "GOAL NOT MET")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "benchmark": "matching",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": vendor,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "seed": SEED,
        "repeat": args.repeat,
        "sizes": results,
        "ratio_doubled_to_base": round(ratio, 3),
        "goal": {"base_seconds": GOAL_SECONDS, "ratio": GOAL_RATIO, "met": met},
    }
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
