import pytest
from django.core.management import call_command

from accounts.models import User
from orders.models import PriceBook, PriceRule, ServiceOption, ServiceType
from providers.models import (
    CommitmentText,
    Course,
    Enrollment,
    Interview,
    Provider,
    ProviderEvent,
    Scorecard,
    ServiceArea,
    WorkingHours,
)

pytestmark = pytest.mark.django_db


def counts():
    return [
        m.objects.count()
        for m in (
            User,
            ServiceType,
            ServiceOption,
            PriceBook,
            PriceRule,
            ServiceArea,
            Provider,
            WorkingHours,
            ProviderEvent,
            Course,
            CommitmentText,
            Interview,
            Scorecard,
            Enrollment,
        )
    ]


def test_demo_data_loads_once_and_a_second_run_changes_nothing(capsys):
    call_command("load_demo")
    first = counts()
    output = capsys.readouterr().out
    call_command("load_demo")
    assert counts() == first
    assert "+989120000001 / demo-customer-pass" in output
    assert "+989120000000 / demo-operator-pass" in output
    assert set(ServiceType.objects.values_list("code", flat=True)) == {
        "standard-home-cleaning",
        "deep-kitchen-cleaning",
        "wood-floor-cleaning",
        "move-in-cleaning",
        "elderly-care-day",
    }
    # The catalogue and price book v1 (R-ORD-2): loaded once, published, every option priced.
    book = PriceBook.objects.get()
    assert book.is_published and book == PriceBook.objects.current()
    assert book.rules.count() == 5
    care = ServiceType.objects.get(code="elderly-care-day")
    assert care.asks_about_person_cared_for and care.minimum_tier == "experienced"
    assert book.rules.get(service_type=care).unit == "per_hour"
    kitchen = ServiceType.objects.get(code="deep-kitchen-cleaning")
    assert kitchen.category.code == "home-cleaning"
    assert {"fridge", "oven"} <= set(kitchen.options.values_list("code", flat=True))
    assert Provider.objects.filter(tier="experienced", skills__code="elderly-care").exists()
    assert ServiceArea.objects.count() == 2
    assert Provider.objects.filter(status="active").count() >= 20
    assert not Provider.objects.filter(working_hours__isnull=True).exists()
    assert User.objects.get(phone="+989120000000").is_superuser
    # Vetting (R-VET-3, R-VET-5): courses, the commitment in four languages, an applicant per stage.
    assert set(Course.objects.values_list("code", "is_retraining")) == {
        ("cleaning-technique", False),
        ("customer-care", False),
        ("retraining", True),
    }
    assert set(CommitmentText.objects.values_list("version", "language")) == {
        (1, "en"),
        (1, "fa"),
        (1, "ru"),
        (1, "zh-hans"),
    }
    stages = dict(
        Provider.objects.filter(user__phone__startswith="+98912200000").values_list(
            "user__phone", "status"
        )
    )
    assert stages == {
        "+989122000001": "applied",
        "+989122000002": "screened",
        "+989122000003": "interview_scheduled",
        "+989122000004": "interviewed",
        "+989122000005": "in_training",
    }
    assert Interview.objects.get(status="scheduled").interviewer.phone == "+989120000000"
    assert Scorecard.objects.filter(passed=True).count() == 2
    assert Enrollment.objects.filter(provider__user__phone="+989122000005").count() == 2


@pytest.mark.requirement("R-PAY-4")
def test_the_demo_publishes_one_commission_table(capsys):
    from payments.models import CommissionTable
    from payments.services.earnings import commission_for

    call_command("load_demo")
    call_command("load_demo_money")
    call_command("load_demo_money")
    table = CommissionTable.objects.get()
    assert table.is_published and table.rules.count() == 2
    assert "Commission: 20 %" in capsys.readouterr().out
    from orders.models import ServiceType
    from providers.models import ProviderTier

    service = ServiceType.objects.first()
    standard = commission_for(service_type_id=service.pk, tier=ProviderTier.STANDARD)
    top = commission_for(service_type_id=service.pk, tier=ProviderTier.values[-1])
    assert (standard.table, standard.percent, top.percent) == (table, 20, 15)
