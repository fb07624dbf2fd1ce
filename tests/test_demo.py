import pytest
from django.core.management import call_command

from accounts.models import User
from orders.models import ServiceType
from providers.models import Provider, ProviderEvent, ServiceArea, WorkingHours

pytestmark = pytest.mark.django_db


def counts():
    return [
        m.objects.count()
        for m in (User, ServiceType, ServiceArea, Provider, WorkingHours, ProviderEvent)
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
    }
    assert ServiceArea.objects.count() == 2
    assert Provider.objects.filter(status="active").count() >= 20
    assert not Provider.objects.filter(working_hours__isnull=True).exists()
    assert User.objects.get(phone="+989120000000").is_superuser
