"""The managers' vetting funnel (R-VET-3, R-OPS-1): numbers from the audit trail, the staff page."""

import json
from datetime import date, datetime, timedelta

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import StaffGroup
from providers.models import ProviderStatus, RejectionReason, Scorecard
from providers.selectors import vetting_funnel
from providers.stages import FUNNEL
from tests.factories import CustomerFactory, OperatorFactory, ProviderFactory

from .vetting_admin_factories import ApplicantFactory, event, passed_scorecard, staff_user

pytestmark = pytest.mark.django_db

S = ProviderStatus
URL = reverse("providers:staff_funnel")
MARCH_1, MARCH_31 = date(2025, 3, 1), date(2025, 3, 31)


def local(year, month, day, hour=12, minute=0):
    return timezone.make_aware(datetime(year, month, day, hour, minute))


def walk(provider, steps):
    """Events along a path: steps are (to_status, at); from_status follows the path."""
    previous = ""
    for to_status, at, *code in steps:
        event(provider, to_status, from_status=previous, at=at, reason_code=code[0] if code else "")
        previous = to_status


@pytest.fixture
def march():
    """A small month of applications, with events on both edges of the range.

    Reached in March (a later stage counts the earlier ones):
      p1 every stage to active; p2 to interview scheduled, then failed; p3 applied, rejected;
      p4 applied in February, screened on 1 March 00:00, withdrew; p5 applied 31 March 23:59
      (screened 1 April: outside); p9 went back to screened once, reached training, was flagged
      and rejected from the review; p7 was imported active (counted only as active).
    Outside: p6 applied 28 February 23:59; p8, an active provider, was suspended, retrained and
    came back (not progress through vetting).
    """
    p1, p2, p3, p4, p5, p6, p9 = (ApplicantFactory() for _ in range(7))
    walk(
        p1,
        [
            (S.APPLIED, local(2025, 3, 2)),
            (S.SCREENED, local(2025, 3, 3)),
            (S.INTERVIEW_SCHEDULED, local(2025, 3, 4)),
            (S.INTERVIEWED, local(2025, 3, 10)),
            (S.IDENTITY_VERIFIED, local(2025, 3, 12)),
            (S.IN_TRAINING, local(2025, 3, 13)),
            (S.COMMITMENT_SIGNED, local(2025, 3, 20)),
            (S.ACTIVE, local(2025, 3, 25)),
        ],
    )
    walk(
        p2,
        [
            (S.APPLIED, local(2025, 3, 2)),
            (S.SCREENED, local(2025, 3, 3)),
            (S.INTERVIEW_SCHEDULED, local(2025, 3, 4)),
            (S.REJECTED, local(2025, 3, 10), RejectionReason.FAILED_INTERVIEW),
        ],
    )
    walk(
        p3,
        [
            (S.APPLIED, local(2025, 3, 5)),
            (S.REJECTED, local(2025, 3, 6), RejectionReason.INCOMPLETE),
        ],
    )
    walk(
        p4,
        [
            (S.APPLIED, local(2025, 2, 20)),
            (S.SCREENED, local(2025, 3, 1, 0, 0)),
            (S.WITHDRAWN, local(2025, 3, 2)),
        ],
    )
    walk(p5, [(S.APPLIED, local(2025, 3, 31, 23, 59)), (S.SCREENED, local(2025, 4, 1, 0, 0))])
    walk(p6, [(S.APPLIED, local(2025, 2, 28, 23, 59))])
    walk(
        p9,
        [
            (S.APPLIED, local(2025, 3, 2)),
            (S.SCREENED, local(2025, 3, 3)),
            (S.INTERVIEW_SCHEDULED, local(2025, 3, 4)),
            (S.SCREENED, local(2025, 3, 5)),
            (S.INTERVIEW_SCHEDULED, local(2025, 3, 6)),
            (S.INTERVIEWED, local(2025, 3, 8)),
            (S.IDENTITY_VERIFIED, local(2025, 3, 9)),
            (S.IN_TRAINING, local(2025, 3, 10)),
            (S.UNDER_REVIEW, local(2025, 3, 15)),
            (S.REJECTED, local(2025, 3, 16), RejectionReason.WEAK_LEARNER),
        ],
    )
    p7 = ProviderFactory()
    event(p7, S.ACTIVE, at=local(2025, 3, 15), reason="Imported from the old list")
    p8 = ProviderFactory()
    event(p8, S.SUSPENDED, from_status=S.ACTIVE, at=local(2025, 3, 5))
    event(p8, S.PROBATION, from_status=S.SUSPENDED, at=local(2025, 3, 10))
    event(p8, S.ACTIVE, from_status=S.PROBATION, at=local(2025, 3, 20))

    # Scorecards: three in March (two passed) plus one on each edge.
    for provider, passed, at in [
        (p1, True, local(2025, 3, 10)),
        (p2, False, local(2025, 3, 10)),
        (p9, True, local(2025, 3, 8)),
        (ApplicantFactory(), False, local(2025, 3, 1, 0, 0)),  # inside: the first minute
        (ApplicantFactory(), True, local(2025, 4, 1, 0, 0)),  # outside: the day after
    ]:
        scorecard = passed_scorecard(provider, passed=passed)
        Scorecard.objects.filter(pk=scorecard.pk).update(recorded_at=at)


def table(funnel):
    return [
        (stage.status, stage.reached, stage.conversion, stage.rejected, stage.withdrawn)
        for stage in funnel.stages
    ]


@pytest.mark.requirement("R-VET-3", "R-OPS-1")
def test_funnel_counts_each_provider_once_per_stage_reached_in_the_range(march):
    funnel = vetting_funnel(start=MARCH_1, end=MARCH_31)
    assert table(funnel) == [
        # stage, reached, % on to the next, rejected here, withdrew here
        (S.APPLIED, 6, 66.7, 1, 0),  # p1 p2 p3 p4 p5 p9 -> 4 screened
        (S.SCREENED, 4, 75.0, 0, 1),  # p1 p2 p4 p9 -> 3; p4 withdrew
        (S.INTERVIEW_SCHEDULED, 3, 66.7, 1, 0),  # p1 p2 p9 -> 2; p2 failed
        (S.INTERVIEWED, 2, 100.0, 0, 0),
        (S.IDENTITY_VERIFIED, 2, 100.0, 0, 0),
        (S.IN_TRAINING, 2, 50.0, 1, 0),  # p9 rejected from the review
        (S.COMMITMENT_SIGNED, 1, 100.0, 0, 0),
        (S.ACTIVE, 2, None, 0, 0),  # p1 and the imported p7
    ]
    assert funnel.imported == 1
    assert (funnel.interviews_recorded, funnel.interviews_passed) == (4, 2)
    assert funnel.interview_pass_rate == 50.0
    assert not funnel.is_empty


@pytest.mark.requirement("R-VET-3", "R-OPS-1")
def test_funnel_range_includes_both_days_whole_in_local_time(march):
    # Only 1 March: p4 screened at 00:00 (and applied before: counts as applied), then withdrew
    # on 2 March (outside); the 00:00 scorecard failed.
    first_day = vetting_funnel(start=MARCH_1, end=MARCH_1)
    assert [s.reached for s in first_day.stages] == [1, 1, 0, 0, 0, 0, 0, 0]
    assert [s.withdrawn for s in first_day.stages] == [0] * 8
    assert (first_day.interviews_recorded, first_day.interview_pass_rate) == (1, 0.0)
    # Only 31 March: p5 applied at 23:59; its screening on 1 April is outside.
    last_day = vetting_funnel(start=MARCH_31, end=MARCH_31)
    assert [s.reached for s in last_day.stages] == [1, 0, 0, 0, 0, 0, 0, 0]
    assert [s.conversion for s in last_day.stages] == [0.0] + [None] * 7
    # 1 April: p5 screened, the other scorecard passed.
    april = vetting_funnel(start=date(2025, 4, 1), end=date(2025, 4, 1))
    assert [s.reached for s in april.stages] == [1, 1, 0, 0, 0, 0, 0, 0]
    assert april.interview_pass_rate == 100.0


@pytest.mark.requirement("R-OPS-1")
def test_funnel_of_an_empty_range(march):
    funnel = vetting_funnel(start=date(2024, 1, 1), end=date(2024, 1, 31))
    assert table(funnel) == [(status, 0, None, 0, 0) for status in FUNNEL]
    assert funnel.interview_pass_rate is None
    assert funnel.imported == 0
    assert funnel.is_empty


def test_funnel_refuses_a_range_ending_before_it_starts():
    with pytest.raises(ValueError, match="before its start"):
        vetting_funnel(start=MARCH_31, end=MARCH_1)


# The page -----------------------------------------------------------------------------------------


@pytest.fixture
def manager():
    return staff_user(StaffGroup.VETTING, full_name="Mina Manager")


@pytest.mark.requirement("R-OPS-1", "R-SEC-1")
@pytest.mark.parametrize(
    "who",
    ["customer", "provider", "support", "staff_without_group", "quality_group_not_staff"],
)
def test_funnel_page_is_forbidden_to_everyone_but_vetting_and_quality_staff(client, who):
    user = {
        "customer": lambda: CustomerFactory(),
        "provider": lambda: ProviderFactory().user,
        "support": lambda: staff_user(StaffGroup.SUPPORT),
        "staff_without_group": lambda: staff_user(None),
        "quality_group_not_staff": lambda: _not_staff(staff_user(StaffGroup.QUALITY)),
    }[who]()
    client.force_login(user)
    assert client.get(URL).status_code == 403


def _not_staff(user):
    user.is_staff = False
    user.save(update_fields=["is_staff"])
    return user


@pytest.mark.requirement("R-OPS-1")
@pytest.mark.parametrize("group", [StaffGroup.VETTING, StaffGroup.QUALITY, "superuser"])
def test_funnel_page_opens_for_vetting_quality_staff_and_superusers(client, group):
    user = OperatorFactory() if group == "superuser" else staff_user(group)
    client.force_login(user)
    assert client.get(URL).status_code == 200


def test_funnel_page_sends_visitors_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


@pytest.mark.requirement("R-VET-3", "R-OPS-1")
def test_funnel_page_shows_the_table_the_pass_rate_and_the_chart_data(client, manager, march):
    client.force_login(manager)
    response = client.get(URL, {"start": "2025-03-01", "end": "2025-03-31"})
    assert response.status_code == 200
    html = response.content.decode()
    assert (
        '<tr data-stage="applied">\n                <th scope="row">Applied</th>\n'
        '                <td class="reached">6</td>\n'
        '                <td class="conversion">66.7%</td>\n'
        '                <td class="rejected">1</td>\n'
        '                <td class="withdrawn">0</td>'
    ) in html
    assert '<td class="conversion">75.0%</td>' in html
    assert "Interview pass rate: 50.0% (2 of 4 scorecards passed)." in html
    assert "Including 1 provider imported as already vetted, counted only as active." in html
    chart = json.loads(
        html.split('<script id="funnel-chart-data" type="application/json">')[1].split("</script>")[
            0
        ]
    )
    assert chart["values"] == [6, 4, 3, 2, 2, 2, 1, 2]
    assert chart["labels"][0] == "Applied" and chart["labels"][-1] == "Active"
    assert '/static/vendor/chartjs/chart.umd.min.js"' in html
    assert '/static/js/funnel-chart.js"' in html
    assert finders.find("vendor/chartjs/chart.umd.min.js")
    assert finders.find("vendor/chartjs/LICENSE.md")
    assert finders.find("js/funnel-chart.js")
    assert "cdn" not in html.lower()


@pytest.mark.requirement("R-OPS-1")
def test_funnel_page_defaults_to_the_last_30_days(client, manager, march, time_machine):
    time_machine.move_to(local(2025, 3, 30, 10), tick=False)
    client.force_login(manager)
    response = client.get(URL)
    funnel = response.context["funnel"]
    assert (funnel.start, funnel.end) == (date(2025, 3, 1), date(2025, 3, 30))
    assert response.context["form"]["start"].value() == "2025-03-01"
    # p5 applied on the 31st: not in the default range.
    assert funnel.stages[0].reached == 5


@pytest.mark.requirement("R-OPS-1")
def test_funnel_page_refuses_an_end_before_the_start(client, manager):
    client.force_login(manager)
    response = client.get(URL, {"start": "2025-03-31", "end": "2025-03-01"})
    assert response.status_code == 200
    assert response.context["funnel"] is None
    assert response.context["form"].errors == {
        "end": ["The end date must be on or after the start date."]
    }
    assert "The end date must be on or after the start date." in response.content.decode()
    assert "funnel-chart-data" not in response.content.decode()


@pytest.mark.requirement("R-OPS-1")
def test_funnel_page_says_when_nothing_moved(client, manager):
    client.force_login(manager)
    response = client.get(URL, {"start": "2024-01-01", "end": "2024-01-31"})
    html = response.content.decode()
    assert "No application moved through the stages in this period." in html
    assert "funnel-table" not in html


@pytest.mark.requirement("R-OPS-1", "R-I18N-1")
def test_funnel_page_in_persian_is_right_to_left_with_translated_chart_labels(
    client, manager, march
):
    client.cookies["django_language"] = "fa"
    client.force_login(manager)
    response = client.get(URL, {"start": "2025-03-01", "end": "2025-03-31"})
    html = response.content.decode()
    assert '<html lang="fa" dir="rtl">' in html
    with translation.override("fa"):
        expected = [str(S(status).label) for status in FUNNEL]
    assert response.context["chart"]["labels"] == expected


def test_admin_index_links_the_funnel_for_managers_only(client, manager):
    client.force_login(manager)
    assert URL in client.get(reverse("admin:index")).content.decode()
    client.force_login(staff_user(StaffGroup.SUPPORT))
    assert URL not in client.get(reverse("admin:index")).content.decode()


def test_funnel_ignores_time_outside_the_range_for_a_provider_in_progress():
    applicant = ApplicantFactory()
    event(applicant, S.APPLIED, at=timezone.now() - timedelta(days=40))
    funnel = vetting_funnel(
        start=timezone.localdate() - timedelta(days=29), end=timezone.localdate()
    )
    assert funnel.is_empty
