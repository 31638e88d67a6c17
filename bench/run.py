"""`make bench`: Regard's production shape on loopback, measured against a bare baseline.

Starts gunicorn and a Celery worker from the Procfile's own lines on a fresh PostgreSQL
database and Redis database, localstripe as Stripe and an SMTP sink as the mail server;
drives them with asyncio clients (bench/load.py) and writes bench/RESULTS.md. The
baseline endpoints (bench/baseline) are served by the same gunicorn workers through the
same middleware, so each ratio compares like with like on the same machine at the same time.

Correctness is checked as well as speed: an oversold seat, an event applied twice or a
duplicate email makes the run fail (exit 1). Throughput targets are reported, met or not.
"""

import json
import logging
import os
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from bench import load, mail_sink, processes
from bench.load import Request, Result

if TYPE_CHECKING:  # Django models load after django.setup(), in main()
    from billing.models import Payment

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/regard_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
CLIENTS = 50
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
WARMUP = 2.0
RUSH_ROUNDS, RUSH_REQUESTS, RUSH_SEATS = 10, 200, 20
WEBHOOK_EVENTS, DUPLICATE_SHARE = 1000, 0.2
PROPOSALS, INVOICES_WITHIN = 1000, 20.0  # seconds
SURVEY_INVITED_WITHIN, SURVEY_SENT_WITHIN = 10.0, 60.0  # seconds
SURVEY_PEOPLE = int(os.environ.get("BENCH_SURVEY_PEOPLE", "10000"))
# Outgoing webhooks (integrations): events, their receivers, the rate to reach.
OUTGOING_EVENTS = 10_000
OUTGOING_ENDPOINTS = 3
OUTGOING_PER_SECOND = 200
HOLDS_PER_SECOND = 100  # over every round of the rush (issue 19)
UNCACHED_RATIO = 0.35  # of the constant endpoint, for an answer built afresh
CERTIFICATES = 1000
CERTIFICATES_WITHIN = 60.0  # seconds
RESULT_ANSWERS = 100_000
PAGE_WITHIN_MS = 100.0
SCENARIOS = (
    "catalog",
    "rush",
    "webhooks",
    "surveys",
    "invoices",
    "certificates",
    "webhooks-out",
    "results",
    "uncached",
)
# `BENCH_ONLY=invoices,rush` runs those scenarios alone, to measure a change quickly; such a
# partial run reports to var/bench/partial.md and leaves bench/RESULTS.md as it is.
ONLY = {name for name in os.environ.get("BENCH_ONLY", "").split(",") if name} or set(SCENARIOS)
PARTIAL = ROOT / "var" / "bench" / "partial.md"
WEBHOOK_SECRET = "whsec_bench_regard"  # noqa: S105 -- signs the bench's own events
JSON = {"Content-Type": "application/json"}
WEBHOOK_PATH = "/api/v1/billing/stripe/webhook/"


@dataclass
class Row:
    result: Result
    baseline: Result | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or not self.baseline.per_second:
            return None
        return self.result.per_second / self.baseline.per_second


@dataclass
class Bench:
    base: str
    rows: list[Row] = field(default_factory=list)
    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    targets: list[tuple[str, bool, str]] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)

    def row(self, result: Result, baseline: Result | None = None, note: str = "") -> Result:
        self.rows.append(Row(result, baseline, note))
        statuses = ", ".join(f"{code}×{n}" for code, n in sorted(result.statuses.items()))
        print(
            f"  {result.name}: {result.per_second:.0f} req/s, "
            f"p50 {result.percentile_ms(50):.1f} ms, p99 {result.percentile_ms(99):.1f} ms "
            f"[{statuses}]",
            flush=True,
        )
        return result

    def check(self, name: str, passed: bool, detail: str) -> None:
        self.checks.append((name, passed, detail))
        print(f"  check {'ok' if passed else 'FAILED'}: {name}: {detail}", flush=True)

    def steady(self, name: str, make: Callable[[int], Request]) -> Result:
        return load.steady(name, self.base, make, clients=CLIENTS, seconds=SECONDS, warmup=WARMUP)


# --- The setting ----------------------------------------------------------------------------


def fresh_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def fresh_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def environment(*, web_port: int, stripe_port: int, smtp_port: int) -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_SECRET_KEY": "bench-only-not-secret",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "STRIPE_SECRET_KEY": "sk_test_bench",
        "STRIPE_API_BASE": f"http://127.0.0.1:{stripe_port}",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "PAYMENT_FLOW": "payment_intent",
        # A rush is many people at once: each create says whose it is (X-Forwarded-For, as
        # the proxy in front would), so each meets its own throttle as in production.
        "DJANGO_NUM_PROXIES": "1",
        "SITE_URL": f"http://127.0.0.1:{web_port}",
        "PORT": str(web_port),
        "WEB_CONCURRENCY": "2",
        "WORKER_CONCURRENCY": "2",
        # The fan-out's receivers listen on loopback, which webhooks are otherwise refused.
        "WEBHOOKS_ALLOW_PRIVATE": "true",
    }


@contextmanager
def web_server(env: dict[str, str], base: str, **overrides: str) -> Iterator[processes.Process]:
    with processes.started("web", processes.procfile_command("web"), {**env, **overrides}) as web:
        processes.wait_for_http(f"{base}/readyz", web)
        yield web


def _analyze() -> None:
    """Statistics for the planner now, rather than autovacuum's analyze of the new tables
    landing in the middle of a measurement."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def wait_until(condition: Callable[[], bool], seconds: float, what: str) -> float:
    """Seconds until `condition` held; raises if it did not within `seconds`."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > seconds:
            raise TimeoutError(f"{what}: not done within {seconds:.0f} s")
        time.sleep(0.1)
    return time.monotonic() - started


# --- Scenarios ------------------------------------------------------------------------------


def catalog(bench: Bench, *, cached: bool) -> None:
    """Each catalog endpoint right after a fresh run of the constant baseline, so that a
    ratio compares two measurements of the same moment, not the start and end of a run."""
    from bench import data

    detail = f"/api/v1/sessions/{data.catalog_session().pk}/"
    listing = "/api/v1/offerings/"
    label = "cached" if cached else "not cached"
    bare = load.same(Request("GET", "/bench/constant/"))
    ratios = []
    for name, path in (("offerings list", listing), ("session detail", detail)):
        constant = bench.row(bench.steady(f"constant JSON baseline (before the {name})", bare))
        plain = Request("GET", path)
        bench.row(bench.steady(f"{name}, {label}", load.same(plain)), constant)
        ratios.append(bench.rows[-1])
        if not cached:
            continue
        conditional = Request("GET", path, headers={"If-None-Match": _etag(bench.base, path)})
        result = bench.steady(f"{name}, 304 (If-None-Match)", load.same(conditional))
        bench.row(result, constant)
        ratios.append(bench.rows[-1])
        bench.check(
            f"{name}: conditional GET", result.statuses.keys() == {304}, str(dict(result.statuses))
        )
    worst = min(ratios, key=lambda row: row.ratio or 0)
    if cached:
        bench.targets.insert(
            0,
            (
                "catalog (cached, and 304) ≥ 80% of the constant endpoint",
                (worst.ratio or 0) >= 0.8,
                f"lowest: {worst.result.name} at {worst.ratio or 0:.2f}",
            ),
        )
    else:
        bench.targets.append(
            (
                f"catalog not cached ≥ {UNCACHED_RATIO:.0%} of the constant endpoint",
                (worst.ratio or 0) >= UNCACHED_RATIO,
                ", ".join(f"{row.result.name} at {row.ratio or 0:.2f}" for row in ratios),
            )
        )


def _etag(base: str, path: str) -> str:
    import urllib.request

    with urllib.request.urlopen(base + path, timeout=10) as response:  # noqa: S310 -- loopback
        return str(response.headers["ETag"])


def enrollment_rush(bench: Bench) -> None:
    from bench import data
    from enrollments.models import Enrollment
    from enrollments.selectors import seats_taken

    inserts, rushes, sessions = [], [], []
    for round_number in range(RUSH_ROUNDS):
        insert = Request("POST", "/bench/insert/", b"{}", JSON)
        inserts.append(load.burst("insert", bench.base, [insert] * RUSH_REQUESTS))
        session = data.session(capacity=RUSH_SEATS, label=f"rush {round_number}")
        sessions.append(session)
        creates = [
            Request(
                "POST",
                "/api/v1/enrollments/",
                json.dumps(
                    {
                        "session": session.pk,
                        "name": f"Rush Person {n}",
                        "email": f"rush-{round_number}-{n}@example.test",
                        "consent": True,
                    }
                ).encode(),
                {**JSON, "X-Forwarded-For": f"10.{round_number}.{n // 256}.{n % 256}"},
            )
            for n in range(RUSH_REQUESTS)
        ]
        rushes.append(load.burst("rush", bench.base, creates, keep_bodies=True))

    insert_total = load.combine(
        f"INSERT baseline, {RUSH_REQUESTS} at once × {RUSH_ROUNDS}", inserts
    )
    rush_total = load.combine(
        f"enrollment rush, {RUSH_REQUESTS} at once for {RUSH_SEATS} seats × {RUSH_ROUNDS}", rushes
    )
    holds = sum(1 for body in rush_total.bodies if _client_secret(body))
    bench.row(insert_total)
    bench.row(
        rush_total,
        insert_total,
        note=f"{holds} holds with a PaymentIntent, {holds / rush_total.elapsed:.1f} holds/s",
    )
    now = datetime.now(UTC)
    oversold = 0
    for session in sessions:
        taken = (
            type(session)
            .objects.filter(pk=session.pk)
            .annotate(taken=seats_taken(now=now))
            .values_list("taken", flat=True)
            .get()
        )
        oversold += max(int(taken) - session.capacity, 0)
    expected = RUSH_SEATS * RUSH_ROUNDS
    statuses = rush_total.statuses
    bench.check("rush: zero oversold", oversold == 0, f"{oversold} seat(s) over capacity")
    bench.check(
        "rush: every seat held once, every other request told the session is full",
        holds == expected
        and statuses[201] == expected
        and statuses[409] == len(rush_total.latencies) - expected,
        f"{holds} holds for {expected} seats; statuses {dict(statuses)}",
    )
    pending = Enrollment.objects.filter(
        session__in=sessions, status=Enrollment.Status.PENDING_PAYMENT
    ).count()
    bench.check("rush: holds in the database", pending == expected, f"{pending} pending payment")
    bench.targets.append(
        (
            "enrollment creates ≥ 50% of the INSERT baseline",
            (bench.rows[-1].ratio or 0) >= 0.5,
            f"{rush_total.per_second:.0f} vs {insert_total.per_second:.0f} req/s "
            f"= {bench.rows[-1].ratio:.2f}",
        )
    )
    bench.targets.append(
        (
            f"holds in a rush ≥ {HOLDS_PER_SECOND} a second, each with a PaymentIntent",
            holds / rush_total.elapsed >= HOLDS_PER_SECOND,
            f"{holds / rush_total.elapsed:.1f} holds/s over {holds} holds "
            f"({len(rush_total.latencies)} requests in {rush_total.elapsed:.1f} s)",
        )
    )
    bench.targets.append(("zero oversell", oversold == 0, f"{oversold} oversold"))


def invoices_issued(bench: Bench) -> None:
    """1,000 proposals accepted by invoice through concurrent requests: each books a private
    session and issues an invoice. Every invoice number of the run, receipts of the webhook
    scenario included, must follow the one before it."""
    from bench import data
    from billing.models import Invoice

    proposals = data.sent_proposals(PROPOSALS)
    billing = {
        "company": "Bench clinic",
        "address": "Keizersgracht 1",
        "postal_code": "1015 AA",
        "city": "Amsterdam",
        "country": "NL",
    }
    requests = [
        Request(
            "POST",
            f"/api/v1/proposals/{proposal.token}/accept/",
            json.dumps(
                {
                    "contact": {"name": proposal.contact_name, "email": proposal.contact_email},
                    "billing": billing,
                    "po_number": f"PO-{n}",
                    "payment": "invoice",
                }
            ).encode(),
            {**JSON, "X-Forwarded-For": f"10.200.{n // 256}.{n % 256}"},
        )
        for n, proposal in enumerate(proposals)
    ]
    result = load.drain(
        f"proposals accepted by invoice, {PROPOSALS} by {CLIENTS} clients",
        bench.base,
        requests,
        clients=CLIENTS,
    )
    bench.row(result, note=f"{PROPOSALS / result.elapsed:.0f} invoices issued per second")
    issued = Invoice.objects.filter(kind=Invoice.Kind.INVOICE)
    mine = issued.filter(po_number__startswith="PO-").count()
    numbers = sorted(
        int(number.rsplit("-", 1)[1]) for number in issued.values_list("number", flat=True)
    )
    gapless = numbers == list(range(1, len(numbers) + 1))
    bench.check(
        "invoices: every acceptance answered 201 and issued one",
        result.statuses.keys() == {201} and mine == PROPOSALS,
        f"statuses {dict(result.statuses)}, {mine} invoices",
    )
    bench.check(
        "invoices: numbers gapless and unique",
        gapless,
        f"{len(numbers)} numbers, 1 to {numbers[-1] if numbers else 0}",
    )
    bench.targets.append(
        (
            f"{PROPOSALS} invoices by concurrent requests in ≤ {INVOICES_WITHIN:.0f} s, gapless",
            result.elapsed <= INVOICES_WITHIN and gapless,
            f"{result.elapsed:.1f} s",
        )
    )


def _client_secret(body: bytes) -> str:
    """The PaymentIntent's client secret in a 201 answer; empty for a refusal."""
    try:
        answer = json.loads(body)
    except ValueError:
        return ""
    return str((answer.get("payment") or {}).get("client_secret") or "")


def _succeeded(payment: "Payment") -> dict[str, Any]:
    """Stripe's event for this payment's PaymentIntent having succeeded."""
    from tests import stripe_payloads

    intent = stripe_payloads.payment_intent(
        amount=payment.amount_cents,
        currency=payment.currency.lower(),
        status="succeeded",
        reference=payment.payable_reference,
        intent_id=payment.stripe_payment_intent_id,
    )
    return stripe_payloads.event("payment_intent.succeeded", intent)


def webhook_ingest(bench: Bench) -> None:
    from django.db.models import Count

    from bench import data
    from billing.models import Payment, StripeEvent
    from enrollments.models import Enrollment
    from outbox.models import OutgoingMail
    from tests import stripe_payloads

    payments = data.pending_payments(WEBHOOK_EVENTS)
    events = [_succeeded(p) for p in payments]
    shuffler = random.Random(20261126)  # noqa: S311 -- a repeatable order, not a secret
    duplicates = round(len(events) * DUPLICATE_SHARE / (1 - DUPLICATE_SHARE))
    deliveries = events + shuffler.sample(events, duplicates)
    shuffler.shuffle(deliveries)
    requests = []
    for body in deliveries:
        payload, signature = stripe_payloads.delivery(body, secret=WEBHOOK_SECRET)
        requests.append(
            Request(
                "POST",
                WEBHOOK_PATH,
                payload,
                {**JSON, "Stripe-Signature": signature},
            )
        )
    result = load.drain(
        f"webhook ingest, {len(deliveries)} signed events, {duplicates} of them duplicates",
        bench.base,
        requests,
        clients=CLIENTS,
    )
    applied = wait_until(
        lambda: (
            not StripeEvent.objects.filter(processed_at__isnull=True).exists()
            and StripeEvent.objects.count() >= len(events)
        ),
        300,
        "webhook events applied",
    )
    bench.row(result, note=f"all applied by the worker {applied:.1f} s after the last answer")
    stored = StripeEvent.objects.count()
    succeeded = Payment.objects.filter(
        pk__in=[p.pk for p in payments], status=Payment.Status.SUCCEEDED
    ).count()
    confirmed = Enrollment.objects.filter(
        payments__in=payments, status=Enrollment.Status.CONFIRMED
    ).count()
    twice = (
        OutgoingMail.objects.values("kind", "related_type", "related_id", "to")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    bench.check(
        "webhooks: answered 200", result.statuses.keys() == {200}, str(dict(result.statuses))
    )
    bench.check(
        "webhooks: each event stored and applied once",
        stored == len(events) and succeeded == len(events) and confirmed == len(events),
        f"{stored} events stored, {succeeded} payments succeeded, {confirmed} confirmed",
    )
    bench.check("webhooks: no email queued twice", twice == 0, f"{twice} repeated")
    bench.targets.append(("zero duplicates", twice == 0 and stored == len(events), f"{twice}"))
    sent = wait_until(
        lambda: not OutgoingMail.objects.exclude(status=OutgoingMail.Status.SENT).exists(),
        600,
        "confirmation emails sent",
    )
    confirmations = OutgoingMail.objects.filter(kind="enrollment_confirmation").count()
    alerts = OutgoingMail.objects.filter(kind="practice_alert").count()
    bench.facts["confirmations"] = (
        f"{confirmations} confirmation emails (and {alerts} to the practice, one per new "
        f"booking: PRACTICE_ALERTS=immediate) delivered to the sink {sent:.0f} s after the "
        "events applied"
    )


def _payment_during_fanout(bench: Bench, payment: "Payment") -> float:
    """Seconds from delivering one payment's webhook to its being applied."""
    from billing.models import StripeEvent
    from tests import stripe_payloads

    event = _succeeded(payment)
    payload, signature = stripe_payloads.delivery(event, secret=WEBHOOK_SECRET)
    started = time.monotonic()
    answer = load.burst(
        "webhook during fan-out",
        bench.base,
        [Request("POST", WEBHOOK_PATH, payload, {**JSON, "Stripe-Signature": signature})],
    )
    bench.check(
        "fan-out: the webhook is answered",
        answer.statuses.keys() == {200},
        str(dict(answer.statuses)),
    )
    wait_until(
        lambda: StripeEvent.objects.filter(
            stripe_id=event["id"], processed_at__isnull=False
        ).exists(),
        600,
        "payment applied during the fan-out",
    )
    return time.monotonic() - started


class MemoryWatch:
    """Samples the worker's process tree: peak summed PSS, summed RSS and largest RSS."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_pss = self.peak_rss = self.peak_single_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            sizes = [processes.memory_kib(pid) for pid in processes.process_tree(self.pid)]
            self.peak_pss = max(self.peak_pss, sum(pss for pss, _ in sizes))
            self.peak_rss = max(self.peak_rss, sum(rss for _, rss in sizes))
            self.peak_single_rss = max(self.peak_single_rss, *(rss for _, rss in sizes))
            self._stop.wait(0.2)

    def __enter__(self) -> "MemoryWatch":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def survey_fanout(bench: Bench, sink: mail_sink.CountingSink, worker: processes.Process) -> None:
    from bench import data
    from config.celery import app
    from surveys.models import SurveyInvitation

    session = data.ended_session_with(SURVEY_PEOPLE)
    waiting_payment = data.pending_payments(1)[0]
    with MemoryWatch(worker.pid) as memory:
        started = time.monotonic()
        # Two runs at once, as when beat's run meets one queued by hand: each person is
        # still invited once.
        app.send_task("enrollments.send_followup_surveys")
        app.send_task("enrollments.send_followup_surveys")
        wait_until(
            lambda: SurveyInvitation.objects.filter(session=session).count() >= SURVEY_PEOPLE,
            900,
            "survey invitations queued",
        )
        invited = time.monotonic() - started
        wait_until(lambda: sink.received("survey-") >= 100, 600, "survey emails started")
        paid_in = _payment_during_fanout(bench, waiting_payment)
        wait_until(lambda: sink.received("survey-") >= SURVEY_PEOPLE, 1800, "survey emails sent")
        elapsed = time.monotonic() - started
    invitations = SurveyInvitation.objects.filter(session=session).count()
    mib = 1024
    summary = (
        f"{SURVEY_PEOPLE:,} participants: invitations queued in {invited:.0f} s, all "
        f"{sink.received('survey-'):,} emails at the sink in {elapsed:.0f} s "
        f"({SURVEY_PEOPLE / elapsed:.0f}/s); worker peak memory {memory.peak_pss / mib:.0f} MiB "
        f"PSS summed over its processes ({memory.peak_rss / mib:.0f} MiB summed RSS, largest "
        f"process {memory.peak_single_rss / mib:.0f} MiB RSS)"
    )
    print(f"  survey fan-out: {summary}", flush=True)
    bench.facts["survey fan-out"] = summary
    bench.facts["a payment during the fan-out"] = (
        f"a signed payment_intent.succeeded delivered while the mail queue was full was "
        f"applied {paid_in:.1f} s later: on its own queue it waits for a free worker process, "
        f"not for the mail queue"
    )
    bench.check(
        "surveys: one invitation and one email per participant",
        invitations == SURVEY_PEOPLE and sink.repeated("survey-") == 0,
        f"{invitations} invitations, {sink.repeated('survey-')} repeated emails",
    )
    bench.targets.append(
        (
            f"{SURVEY_PEOPLE:,} survey invitations written in ≤ {SURVEY_INVITED_WITHIN:.0f} s "
            f"and all sent in ≤ {SURVEY_SENT_WITHIN:.0f} s, by two overlapping runs",
            invited <= SURVEY_INVITED_WITHIN and elapsed <= SURVEY_SENT_WITHIN,
            f"written in {invited:.1f} s, sent in {elapsed:.1f} s",
        )
    )
    bench.targets.append(
        (
            "worker peak memory under 200 MB",
            memory.peak_pss * 1024 < 200 * 10**6,
            f"{memory.peak_pss * 1024 / 10**6:.0f} MB PSS summed, "
            f"{memory.peak_rss * 1024 / 10**6:.0f} MB RSS summed",
        )
    )


def certificates_issued(
    bench: Bench, sink: mail_sink.CountingSink, worker: processes.Process
) -> None:
    """1,000 participants due a certificate: the worker draws each PDF and emails it."""
    from bench import data
    from certificates.models import Certificate
    from config.celery import app
    from outbox.models import OutgoingMail

    # The emails earlier scenarios owe are sent first: this measures the certificate job.
    owed = OutgoingMail.objects.filter(
        status__in=[OutgoingMail.Status.QUEUED, OutgoingMail.Status.SENDING]
    )
    wait_until(lambda: not owed.exists(), 900, "earlier emails sent")
    session = data.attended_session_with(CERTIFICATES)
    issued = Certificate.objects.filter(participant__enrollment__session=session)
    with MemoryWatch(worker.pid) as memory:
        started = time.monotonic()
        app.send_task("certificates.issue_due")
        wait_until(lambda: issued.count() >= CERTIFICATES, 900, "certificates issued")
        made_in = time.monotonic() - started
        wait_until(
            lambda: sink.received("certificate-") >= CERTIFICATES, 900, "certificates emailed"
        )
        mailed_in = time.monotonic() - started
    mib = 1024
    summary = (
        f"{CERTIFICATES:,} certificates (PDF with QR code) issued in {made_in:.1f} s "
        f"({CERTIFICATES / made_in:.0f}/s), all emailed with their PDF in {mailed_in:.1f} s; "
        f"worker peak {memory.peak_pss / mib:.0f} MiB PSS summed over its processes "
        f"({memory.peak_rss / mib:.0f} MiB summed RSS, largest process "
        f"{memory.peak_single_rss / mib:.0f} MiB RSS)"
    )
    print(f"  certificates: {summary}", flush=True)
    bench.facts["certificates"] = summary
    bench.check(
        "certificates: one per participant, one email each",
        issued.count() == CERTIFICATES and sink.repeated("certificate-") == 0,
        f"{issued.count()} certificates, {sink.repeated('certificate-')} repeated emails",
    )
    bench.targets.append(
        (
            f"{CERTIFICATES:,} certificate PDFs by the worker in ≤ {CERTIFICATES_WITHIN:.0f} s, "
            "worker under 200 MB",
            made_in <= CERTIFICATES_WITHIN and memory.peak_pss * 1024 < 200 * 10**6,
            f"{made_in:.1f} s, {memory.peak_pss * 1024 / 10**6:.0f} MB PSS summed",
        )
    )


def webhooks_fanout(bench: Bench) -> None:
    """10,000 events owed to three endpoints on loopback: each delivered once, at a rate
    the target names, and a payment applied meanwhile on its own queue."""
    from bench import data
    from bench.webhook_sink import CountingReceiver
    from config.celery import app
    from integrations.models import WebhookDelivery

    receivers = [CountingReceiver() for _ in range(OUTGOING_ENDPOINTS)]
    waiting_payment = data.pending_payments(1)[0]
    try:
        owed = data.webhook_events([r.url for r in receivers], OUTGOING_EVENTS)
        _analyze()  # thirty thousand new rows: the planner's statistics first
        started = time.monotonic()
        app.send_task("integrations.deliver_webhooks")
        wait_until(lambda: sum(r.received for r in receivers) >= 100, 120, "webhooks started")
        paid_in = _payment_during_fanout(bench, waiting_payment)
        wait_until(
            lambda: sum(r.received for r in receivers) >= owed, 900, "every webhook delivered"
        )
        elapsed = time.monotonic() - started
        wait_until(
            lambda: not WebhookDelivery.objects.exclude(status="delivered").exists(),
            120,
            "every delivery recorded",
        )
        received = sum(r.received for r in receivers)
        repeated = sum(r.repeated for r in receivers)
    finally:
        for receiver in receivers:
            receiver.stop()
    rate = owed / elapsed
    summary = (
        f"{OUTGOING_EVENTS:,} events to {OUTGOING_ENDPOINTS} endpoints on loopback: {owed:,} "
        f"deliveries in {elapsed:.1f} s ({rate:.0f}/s), signed, one sweep at a time over "
        f"kept-open connections; a payment delivered meanwhile applied {paid_in:.1f} s later"
    )
    print(f"  webhooks: {summary}", flush=True)
    bench.facts["webhook fan-out"] = summary
    bench.check(
        "webhooks: every delivery once",
        received >= owed and repeated == 0,
        f"{received:,} received for {owed:,} owed, {repeated} repeated",
    )
    bench.targets.append(
        (
            f"{OUTGOING_EVENTS:,} webhooks to {OUTGOING_ENDPOINTS} endpoints at ≥ "
            f"{OUTGOING_PER_SECOND} deliveries/s, a payment applied within 10 s meanwhile",
            rate >= OUTGOING_PER_SECOND and paid_in <= 10,
            f"{rate:.0f}/s, payment applied in {paid_in:.1f} s",
        )
    )


def _queries(client: Any, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as run:
        response = client.get(path, HTTP_HOST="127.0.0.1")
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code}")
    return len(run)


def results_pages(bench: Bench) -> None:
    """An organization's report and the practice's results, at 1,000 answers and at
    100,000: the same number of queries, and each page well within its time."""
    from django.contrib.auth.models import User
    from django.test import Client
    from django.utils import timezone

    from bench import data
    from organizations.models import Organization
    from surveys.models import OrganizationReport, SurveyAnswer
    from surveys.services import organization_reports_send_due

    admin = User.objects.create_superuser("bench-admin", "admin@example.test", "bench")
    client = Client()
    client.force_login(admin)
    results = "/admin/surveys/surveyinvitation/results/"
    far = timezone.now() + timedelta(days=400)

    def counts() -> tuple[int, int]:
        organization_reports_send_due(now=far)
        report = OrganizationReport.objects.get(organization__name="Bench results clinic")
        return _queries(client, f"/reports/{report.token}/"), _queries(client, results)

    data.survey_history(answers=1_000, per_session=20)
    few = counts()
    OrganizationReport.objects.all().delete()  # a report anew, of the whole history
    Organization.objects.filter(name="Bench results clinic").update(name="Bench earlier clinic")
    data.survey_history(answers=RESULT_ANSWERS - SurveyAnswer.objects.count(), per_session=100)
    _analyze()
    many = counts()
    answers = SurveyAnswer.objects.count()
    report = OrganizationReport.objects.get(organization__name="Bench results clinic")
    cookie = {"Cookie": f"sessionid={client.cookies['sessionid'].value}"}
    timed = {}
    for name, path, headers in (
        ("organization report page", f"/reports/{report.token}/", {}),
        ("admin survey results", results, cookie),
    ):
        result = load.drain(
            f"{name} at {answers:,} answers, one client",
            bench.base,
            [Request("GET", path, None, headers) for _ in range(40)],
            clients=1,
        )
        bench.row(
            result,
            note=f"queries (report, results): {few} at 1,000 answers, {many} at {answers:,}",
        )
        timed[name] = result
    bench.check(
        "results: both pages answer 200",
        all(result.statuses.keys() == {200} for result in timed.values()),
        ", ".join(f"{name}: {dict(r.statuses)}" for name, r in timed.items()),
    )
    slowest = max(result.percentile_ms(50) for result in timed.values())
    bench.targets.append(
        (
            f"report page and admin results at {answers:,} answers: queries constant, "
            f"≤ {PAGE_WITHIN_MS:.0f} ms a page",
            few == many and slowest <= PAGE_WITHIN_MS,
            f"queries {few} → {many}; median "
            + ", ".join(f"{name} {r.percentile_ms(50):.0f} ms" for name, r in timed.items()),
        )
    )


# --- The run --------------------------------------------------------------------------------


def main() -> int:
    began = time.monotonic()
    if unknown := ONLY - set(SCENARIOS):
        print(f"bench: no scenario {', '.join(sorted(unknown))}; one of {', '.join(SCENARIOS)}")
        return 2
    fresh_database(DATABASE_URL)
    fresh_redis(REDIS_URL)
    web_port, stripe_port, smtp_port = (processes.free_port() for _ in range(3))
    env = environment(web_port=web_port, stripe_port=stripe_port, smtp_port=smtp_port)
    os.environ.update(env)
    import django

    django.setup()
    # The bench's own process reports on stdout; its SMTP sink's chatter is not news.
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    from django.core.management import call_command

    from bench import report

    print("bench: migrating and seeding the demo catalog", flush=True)
    call_command("migrate", verbosity=0)
    call_command("seed_demo", verbosity=0)
    _analyze()
    bench = Bench(base=f"http://127.0.0.1:{web_port}")
    sink, controller = mail_sink.start(smtp_port)
    stripe_command = processes.command_line(
        sys.executable, "manage.py", "run_localstripe", "--port", str(stripe_port)
    )
    try:
        stripe_env = {**env, "DJANGO_DEBUG": "true"}  # run_localstripe is development tooling
        with processes.started("localstripe", stripe_command, stripe_env) as ls:
            processes.wait_for_http(f"http://127.0.0.1:{stripe_port}/v1/customers", ls)
            worker_command = processes.procfile_command("worker")
            worker_env = {**env, "PYTHONPATH": str(ROOT / "bench" / "production_site")}
            with processes.started("worker", worker_command, worker_env) as worker:
                with web_server(env, bench.base):
                    if "catalog" in ONLY:
                        print("bench: catalog against the constant baseline", flush=True)
                        catalog(bench, cached=True)
                    if "rush" in ONLY:
                        print("bench: enrollment rush against the INSERT baseline", flush=True)
                        enrollment_rush(bench)
                        insert = Request("POST", "/bench/insert/", b"{}", JSON)
                        bench.row(
                            bench.steady(f"INSERT baseline, {CLIENTS} clients", load.same(insert))
                        )
                    if "webhooks" in ONLY:
                        print("bench: webhook ingest", flush=True)
                        webhook_ingest(bench)
                    if "surveys" in ONLY:
                        print("bench: survey fan-out", flush=True)
                        survey_fanout(bench, sink, worker)
                    # After the fan-out, so that it measures the survey job alone, not a worker
                    # still sending the 2,000 emails a thousand acceptances owe.
                    if "invoices" in ONLY:
                        print("bench: invoices issued by accepting proposals", flush=True)
                        invoices_issued(bench)
                    if "certificates" in ONLY:
                        print("bench: certificates issued by the worker", flush=True)
                        certificates_issued(bench, sink, worker)
                    if "webhooks-out" in ONLY:
                        print("bench: outgoing webhooks fanned out", flush=True)
                        webhooks_fanout(bench)
                    if "results" in ONLY:
                        print("bench: report and results pages at 100,000 answers", flush=True)
                        results_pages(bench)
                if "uncached" in ONLY:
                    print("bench: catalog with the cache off", flush=True)
                    with web_server(env, bench.base, CATALOG_CACHE_SECONDS="0"):
                        catalog(bench, cached=False)
    finally:
        controller.stop()
    bench.facts["duration"] = f"{time.monotonic() - began:.0f} s"
    written = RESULTS if ONLY.issuperset(SCENARIOS) else PARTIAL
    written.parent.mkdir(parents=True, exist_ok=True)
    written.write_text(report.markdown(bench))
    print(f"bench: wrote {written.relative_to(ROOT)}", flush=True)
    return 0 if all(passed for _, passed, _ in bench.checks) else 1


if __name__ == "__main__":
    sys.exit(main())
