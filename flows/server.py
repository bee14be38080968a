"""The local Prefect server's settings and its API credential, shared by `tinsach server` (`make server`),
the `tinsach` commands that talk to it and the tests."""

from __future__ import annotations

import ipaddress
import os
import secrets
import stat
from pathlib import Path
from urllib.parse import urlsplit

# Flow runs older than 30 days and events older than 7 are vacuumed, so SQLite does not grow without bound.
SERVER_SETTINGS = {
    "PREFECT_SERVER_API_HOST": "127.0.0.1",  # loopback only: put a proxy with TLS in front to share it
    "PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED": "events,flow_runs",
    "PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD": "P30D",
    "PREFECT_SERVER_EVENTS_RETENTION_PERIOD": "P7D",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
}

# The API's basic-auth credential ("user:password"): chosen by the operator in TINSACH_AUTH (or Prefect's
# own PREFECT_SERVER_API_AUTH_STRING), else generated once into PREFECT_HOME/AUTH_FILE (mode 0600).
AUTH_ENV = "TINSACH_AUTH"
SERVER_AUTH_ENV = "PREFECT_SERVER_API_AUTH_STRING"
CLIENT_AUTH_ENV = "PREFECT_API_AUTH_STRING"
AUTH_FILE = "tinsach-api-auth"
GENERATED_USER = "tinsach"
# 32 random bytes (256 bits): beyond guessing at any rate the API answers.
SECRET_BYTES = 32


class CredentialError(RuntimeError):
    """The API credential is malformed, or its file is readable by others."""


def server_env(port: int, auth: str | None, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for `prefect server start` on 127.0.0.1:`port`, with basic auth unless `auth` is None."""
    env = dict(os.environ if base is None else base)
    env.update(SERVER_SETTINGS)
    env["PREFECT_SERVER_API_PORT"] = str(port)  # not --port: the setting also reaches the UI's API URL
    env.pop(SERVER_AUTH_ENV, None)
    if auth is not None:
        env[SERVER_AUTH_ENV] = auth
        env[CLIENT_AUTH_ENV] = auth  # the server's own clients (services, `prefect server start`) log in too
    return env


def credential_file(home: Path) -> Path:
    """Where `tinsach server` keeps the generated credential: in PREFECT_HOME, next to the database."""
    return home / AUTH_FILE


def checked(credential: str, origin: str) -> str:
    """`credential` if it is "user:password" with both parts non-empty, on one line."""
    user, colon, password = credential.strip().partition(":")
    if not (user and colon and password) or any(c in credential.strip() for c in "\r\n"):
        raise CredentialError(f"{origin} must be 'user:password' (both non-empty, one line)")
    return credential.strip()


def read_credential(path: Path) -> str | None:
    """The credential in `path`, or None when there is none; refused if group or others may read it."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as error:  # ELOOP: a symlink, which could point anyone's file at us
        raise CredentialError(f"{path} must be a regular file, not a symlink ({error.strerror})") from error
    with os.fdopen(fd, encoding="utf-8") as file:
        mode = os.fstat(file.fileno()).st_mode
        if not stat.S_ISREG(mode) or mode & 0o077:
            raise CredentialError(f"{path} must be a regular file readable by its owner only "
                                  f"(chmod 600 it, or delete it to have a new one generated)")
        return checked(file.read(), str(path))


def generate_credential(path: Path) -> str:
    """Create `path` (mode 0600, never overwritten) with a new random credential; the existing one if it exists."""
    credential = f"{GENERATED_USER}:{secrets.token_urlsafe(SECRET_BYTES)}"
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        # O_EXCL: two servers started at once keep one credential; 0o600 from creation, never wider
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        existing = read_credential(path)
        assert existing is not None
        return existing
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(credential + "\n")
        file.flush()
        os.fsync(file.fileno())
    return credential


def server_credential(home: Path, environ: dict[str, str] | None = None) -> tuple[str, str]:
    """The server's credential and where it comes from: TINSACH_AUTH, PREFECT_SERVER_API_AUTH_STRING, or the file."""
    environ = dict(os.environ if environ is None else environ)
    for name in (AUTH_ENV, SERVER_AUTH_ENV):
        if environ.get(name, "").strip():
            return checked(environ[name], name), name
    path = credential_file(home)
    return read_credential(path) or generate_credential(path), str(path)


def client_credential(api_url: str | None, home: Path, environ: dict[str, str] | None = None) -> str | None:
    """The credential a client of `api_url` should send, when it has none of its own.

    The operator's TINSACH_AUTH (or the server's setting in the same environment) wherever the API is;
    the generated file only to a loopback API, so it never leaves the machine.
    """
    environ = dict(os.environ if environ is None else environ)
    for name in (AUTH_ENV, SERVER_AUTH_ENV):
        if environ.get(name, "").strip():
            return checked(environ[name], name)
    if api_url and _loopback(api_url):
        return read_credential(credential_file(home))
    return None


def use_local_credential() -> None:
    """Log this process's Prefect client (and the flow runs it starts) in to the local server.

    Nothing changes when PREFECT_API_AUTH_STRING or an API key is already set, or no credential applies.
    """
    from prefect.context import refresh_global_settings_context
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    if settings.api.auth_string is not None or settings.api.key is not None:
        return
    credential = client_credential(settings.api.url, settings.home)
    if credential is not None:
        os.environ[CLIENT_AUTH_ENV] = credential  # inherited by the flow-run processes of `tinsach serve`
        refresh_global_settings_context()  # Prefect read its settings at import


def _loopback(url: str) -> bool:
    """Whether `url`'s host is this machine (localhost or a loopback address)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
