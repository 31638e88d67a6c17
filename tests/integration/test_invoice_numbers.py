"""DESIGN.md invariant 10 on PostgreSQL: invoice numbers are gapless within a series and
unique under any concurrency, even when issuing transactions roll back after taking one."""

import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection, transaction

from billing.models import Invoice
from billing.services.invoices import BilledLine, Buyer, invoice_issue
from billing.tax import TaxRule

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ISSUES = 50
ROLLED_BACK = {3, 7, 11, 19, 23, 31, 42, 47}  # these take a number and then fail


class ChangedMind(Exception):
    pass


def all_at_once(work: Callable[[int], object]) -> list[BaseException]:
    """`work(i)` for every i in its own thread and transaction, started together."""
    start = threading.Barrier(ISSUES, timeout=30)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            start.wait()
            with transaction.atomic():
                work(index)
                if index in ROLLED_BACK:
                    raise ChangedMind()
        except ChangedMind:
            pass
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(ISSUES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def issue(index: int) -> None:
    invoice_issue(
        buyer=Buyer(name=f"Buyer {index}", email=f"buyer{index}@example.org"),
        lines=[BilledLine("Team training", 1, 100_00, TaxRule(rate=Decimal(21)))],
        currency="EUR",
        reference=f"ORDER-{index}",
    )


def test_concurrent_issues_that_sometimes_roll_back_leave_no_gap_and_no_duplicate():
    errors = all_at_once(issue)

    assert errors == []
    numbers = sorted(
        int(number.split("-")[1]) for number in Invoice.objects.values_list("number", flat=True)
    )
    committed = ISSUES - len(ROLLED_BACK)
    assert numbers == list(range(1, committed + 1))
    # The ones that rolled back left nothing behind: no invoice of theirs exists.
    kept = set(Invoice.objects.values_list("payable_reference", flat=True))
    assert kept == {f"ORDER-{i}" for i in range(ISSUES) if i not in ROLLED_BACK}


def test_a_database_sequence_would_leave_gaps_under_the_same_load():
    """Why numbers are counted in a locked row: the same load on a sequence leaves a gap
    for every transaction that rolled back (the test above would then fail)."""
    with connection.cursor() as cursor:
        cursor.execute("CREATE SEQUENCE IF NOT EXISTS invoice_number_contrast")
        cursor.execute("CREATE TABLE IF NOT EXISTS invoice_contrast (n integer)")
    try:

        def take(index: int) -> None:
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO invoice_contrast SELECT nextval('invoice_number_contrast')"
                )

        assert all_at_once(take) == []
        with connection.cursor() as cursor:
            cursor.execute("SELECT n FROM invoice_contrast ORDER BY n")
            taken = [row[0] for row in cursor.fetchall()]
        assert len(taken) == ISSUES - len(ROLLED_BACK)
        assert taken != list(range(1, len(taken) + 1))  # gaps where rolled back
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE invoice_contrast")
            cursor.execute("DROP SEQUENCE invoice_number_contrast")
