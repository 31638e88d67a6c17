"""The bench's own arithmetic and plumbing: a wrong percentile would misreport every run."""

from http import HTTPStatus

import pytest

from bench import load, processes
from bench.load import Request, Result


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([], 50, 0.0),
        ([0.5], 99, 0.5),
        ([1, 2, 3, 4], 50, 2),
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9),
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99, 10),
        ([10, 1, 7, 3], 75, 7),  # unsorted input
        (list(range(1, 201)), 99, 198),
    ],
)
def test_percentile_is_the_nearest_rank(values, q, expected):
    assert load.percentile(values, q) == expected


def test_combined_bursts_count_every_request_over_the_sum_of_their_times():
    first = Result("a", elapsed=2.0, latencies=[0.1, 0.2])
    first.statuses.update({201: 1, 409: 1})
    second = Result("b", elapsed=1.0, latencies=[0.3])
    second.statuses.update({409: 1})

    total = load.combine("both", [first, second])

    assert total.requests == 3
    assert total.per_second == 1.0
    assert total.statuses == {201: 1, 409: 2}
    assert total.percentile_ms(50) == pytest.approx(200)


def test_same_gives_one_request_for_every_index():
    request = Request("GET", "/x")
    make = load.same(request)

    assert make(0) is request
    assert make(41) is request


def test_the_bench_starts_the_procfiles_own_lines(tmp_path):
    procfile = tmp_path / "Procfile"
    procfile.write_text("web: gunicorn app --workers 2\nworker: celery -A config worker\n")

    assert processes.procfile_command("web", procfile) == "gunicorn app --workers 2"
    assert processes.procfile_command("worker", procfile) == "celery -A config worker"
    with pytest.raises(LookupError):
        processes.procfile_command("beat", procfile)


def test_the_project_procfile_runs_web_without_a_control_socket():
    # Two gunicorns on one host (a bench beside a server, a blue-green switch) would
    # otherwise fight over the same ~/.gunicorn/gunicorn.ctl.
    assert "--no-control-socket" in processes.procfile_command("web")


@pytest.mark.django_db
def test_the_baseline_endpoints_exist_only_for_the_bench(api):
    response = api.get("/bench/constant/")

    assert response.status_code == HTTPStatus.NOT_FOUND
