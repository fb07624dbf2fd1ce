import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES = ["home", "accounts:login", "accounts:signup"]


@pytest.mark.requirement("R-I18N-1")
@pytest.mark.parametrize("page", PAGES)
def test_persian_pages_are_right_to_left(client, page):
    response = client.get(reverse(page), HTTP_ACCEPT_LANGUAGE="fa")
    assert '<html lang="fa" dir="rtl">' in response.content.decode()


@pytest.mark.requirement("R-I18N-1")
@pytest.mark.parametrize("language", ["en", "ru", "zh-hans"])
def test_other_languages_are_left_to_right(client, language):
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE=language)
    assert f'<html lang="{language}" dir="ltr">' in response.content.decode()


@pytest.mark.requirement("R-I18N-1")
def test_the_language_switcher_remembers_the_choice(client):
    response = client.post(reverse("set_language"), {"language": "ru", "next": "/"})
    assert response.status_code == 302
    page = client.get(reverse("home"))
    assert '<html lang="ru" dir="ltr">' in page.content.decode()
    assert 'value="fa"' in page.content.decode()  # every language is offered


@pytest.mark.requirement("R-I18N-1")
@pytest.mark.parametrize(
    ("language", "text"),
    [("fa", "ورود"), ("ru", "Войти"), ("zh-hans", "登录")],
)
def test_pages_are_translated(client, language, text):
    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE=language)
    assert text in response.content.decode()


@pytest.mark.requirement("R-I18N-1")
def test_the_booking_form_shows_catalogue_names_in_the_customers_language(customer_client):
    from tests.factories import AreaFactory, ServiceTypeFactory

    ServiceTypeFactory(name="Standard home cleaning")
    AreaFactory(name="North district")
    customer_client.post(reverse("set_language"), {"language": "ru", "next": "/"})
    page = customer_client.get(reverse("orders:book")).content.decode()
    assert "Standard home cleaning" not in page
    assert "North district" not in page
