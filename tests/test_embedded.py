"""The embedded mode's terminal (`make run`): the port, messages printed as blocks easy to find,
and no log line printed twice (issue 11, item 9)."""

import os
import subprocess
import sys
from pathlib import Path

from django.core import mail
from django.test import override_settings

from core.sms import ConsoleSmsBackend

ROOT = Path(__file__).resolve().parent.parent


def test_make_run_serves_on_the_port_asked_for_and_links_follow_it():
    environment = {key: value for key, value in os.environ.items() if key != "SITE_URL"}
    planned = subprocess.run(
        ["make", "--no-print-directory", "-n", "run", "PORT=8001"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    assert "runserver 127.0.0.1:8001" in planned
    # The banner shows SITE_URL, which messages use for their links.
    assert "Serving http://127.0.0.1:8001 in the embedded mode" in planned
    # And it says first, plainly, that this is not a production server.
    assert "Development server, DEBUG on: not for production" in planned


def test_an_sms_is_printed_as_a_block(capsys):
    ConsoleSmsBackend().send(to="+989120000001", text="کد شما: ۱۲۳۴۵۶")
    printed = capsys.readouterr().out
    rule = "-" * 72
    assert f"{rule}\nSMS to +989120000001\n{rule}\nکد شما: ۱۲۳۴۵۶\n{rule}\n" in printed


@override_settings(EMAIL_BACKEND="core.mail.ConsoleEmailBackend")
def test_an_email_is_printed_readably_whatever_its_script(capsys):
    mail.send_mail("سفارش", "سفارش شما ثبت شد.\nممنون", "noreply@example.com", ["a@example.com"])
    printed = capsys.readouterr().out
    assert "Email to a@example.com: سفارش" in printed
    assert "سفارش شما ثبت شد.\nممنون" in printed  # the body as written, not base64


def test_a_django_log_line_is_printed_once():
    script = (
        "import django, logging; django.setup(); "
        "logging.getLogger('django.utils.autoreload').info('watching-once')"
    )
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    environment.pop("DATABASE_URL", None)  # the embedded mode's settings
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    assert (result.stdout + result.stderr).count("watching-once") == 1
