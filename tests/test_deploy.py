"""The compose deployment serves public media through nginx, never private ones (R-SEC-6)."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.conf import settings

pytestmark = pytest.mark.requirement("R-SEC-6")

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
NGINX_CONF = ROOT / "deploy" / "nginx.conf"


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def nginx_conf() -> str:
    """deploy/nginx.conf without its comments (the TLS lines are commented out)."""
    text = NGINX_CONF.read_text(encoding="utf-8")
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def volume_sources(service: dict) -> dict[str, str]:
    """{source: target} of a service's volumes, short syntax ("source:target[:mode]")."""
    mounts = {}
    for volume in service.get("volumes", []):
        source, target, *_mode = volume.split(":")
        mounts[source] = target
    return mounts


def block(conf: str, opening: str) -> str:
    """The body of the `opening { ... }` block, nested blocks included."""
    start = conf.index(opening)
    depth, position = 0, conf.index("{", start)
    for index in range(position, len(conf)):
        depth += {"{": 1, "}": -1}.get(conf[index], 0)
        if depth == 0:
            return conf[position + 1 : index]
    raise AssertionError(f"{opening} is not closed")


def test_nginx_serves_the_media_volume_read_only_and_never_private_media(compose):
    nginx = compose["services"]["nginx"]
    assert nginx["image"] == "nginx:1.27-alpine"
    mounts = volume_sources(nginx)
    assert mounts["media"] == "/srv/media"
    assert "media:/srv/media:ro" in nginx["volumes"]
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in nginx["volumes"]
    assert not any("private" in volume for volume in nginx["volumes"])
    # The app writes public media to the same volume nginx reads.
    assert volume_sources(compose["services"]["web"])["media"] == "/app/media"
    assert compose["services"]["web"]["environment"]["MEDIA_ROOT"] == "/app/media"


def test_only_nginx_is_published_and_web_knows_it_is_behind_it(compose):
    services = compose["services"]
    assert services["nginx"]["ports"] == ["8000:80"]
    assert "ports" not in services["web"]
    assert services["nginx"]["depends_on"]["web"]["condition"] == "service_healthy"
    web_env = services["web"]["environment"]
    assert web_env["DJANGO_BEHIND_PROXY"] == "true"
    assert web_env["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY")  # still the shared env
    # Workers and beat take no requests: they keep the shared environment.
    assert "DJANGO_BEHIND_PROXY" not in services["worker"]["environment"]


def test_media_location_serves_files_only_never_pages_or_listings(nginx_conf):
    media = block(nginx_conf, "location /media/")
    assert re.search(r"^\s*alias /srv/media/;", media, re.M)
    assert re.search(r"^\s*autoindex off;", media, re.M)
    assert re.search(r"^\s*default_type application/octet-stream;", media, re.M)
    assert re.search(r"^\s*add_header X-Content-Type-Options nosniff", media, re.M)
    assert "private" not in nginx_conf


def test_everything_else_goes_to_gunicorn_with_the_forwarded_headers(nginx_conf):
    root = block(nginx_conf, "location / ")
    assert re.search(r"^\s*proxy_pass http://homeservices_web;", root, re.M)
    assert re.search(r"^\s*server web:8000;", block(nginx_conf, "upstream homeservices_web"), re.M)
    assert re.search(
        r"^\s*proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;", root, re.M
    )
    assert re.search(r"^\s*proxy_set_header X-Forwarded-Proto \$scheme;", root, re.M)
    assert re.search(r"^\s*proxy_read_timeout \d+s;", root, re.M)


def test_request_bodies_fit_the_largest_upload(nginx_conf):
    [size] = re.findall(r"^\s*client_max_body_size (\d+)m;", nginx_conf, re.M)
    assert int(size) * 1024 * 1024 > settings.UPLOAD_MAX_BYTES


def test_tls_is_ready_to_uncomment():
    text = NGINX_CONF.read_text(encoding="utf-8")
    assert re.search(r"^\s*# listen 443 ssl;", text, re.M)
    assert re.search(r"^\s*# ssl_certificate\s+/etc/nginx/tls/fullchain.pem;", text, re.M)
    assert re.search(r"^\s*# ssl_certificate_key /etc/nginx/tls/privkey.pem;", text, re.M)


def _docker_compose_available() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(
        ["docker", "compose", "version"], capture_output=True, check=False, timeout=30
    )
    return probe.returncode == 0


def test_docker_compose_accepts_the_file(tmp_path):
    if not _docker_compose_available():
        pytest.skip("docker compose is not installed here")
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DJANGO_SECRET_KEY": "x",
        "FIELD_ENCRYPTION_KEYS": "x",
        "FIELD_LOOKUP_KEY": "x",
    }
    result = subprocess.run(
        ["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_the_image_copies_every_app_of_the_project():
    """The Dockerfile names each top-level package it ships: a new app left out would fail to
    import only in production."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\w+) \./\1$", dockerfile, re.M))
    ours = {
        app.split(".")[0] for app in settings.INSTALLED_APPS if (ROOT / app.split(".")[0]).is_dir()
    }
    assert ours | {"config"} <= copied, sorted(ours | {"config"} - copied)
