"""Homepage availability probes: time, status, latency and error, one row each."""

from __future__ import annotations

import socket
import ssl
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import Engine

from monitor import store
from monitor.config import Config, SiteConfig
from monitor.database import session_scope
from monitor.records import Probe

USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0 Safari/537.36 govwatch-probe/0.1"
MAX_PARALLEL = 16


def probe(site: SiteConfig, timeout: timedelta) -> Probe:
    """GET the homepage once; a probe still failing at ``timeout`` is a failure."""
    request = urllib.request.Request(site.home, headers={"User-Agent": USER_AGENT})
    started = time.monotonic()
    status: int | None = None
    error: str | None = None
    try:
        with urllib.request.urlopen(request, timeout=timeout.total_seconds()) as response:
            status = response.status
            response.read(64 * 1024)
    except urllib.error.HTTPError as exc:
        status = exc.code
    except urllib.error.URLError as exc:
        error = _describe(exc.reason)
    except TimeoutError:
        error = "timeout"
    except (ConnectionError, OSError) as exc:
        error = _describe(exc)
    latency = (time.monotonic() - started) * 1000
    return Probe(site.id, site.home, store.utcnow(), status, round(latency, 1), error)


def probe_sites(
    engine: Engine,
    config: Config,
    site_ids: list[str] | None = None,
    timeout: timedelta | None = None,
) -> list[Probe]:
    """Probe every site (or the chosen ones) at once and store the results."""
    sites = [s for s in config.sites if not site_ids or s.id in site_ids]
    limit = timeout or config.schedule.probe_timeout
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, max(1, len(sites)))) as pool:
        probes = list(pool.map(lambda site: probe(site, limit), sites))
    with session_scope(engine) as session:
        for result in probes:
            run_id = store.start_run(
                session, result.site_id, kind="probe", scope="probe", command="probe"
            )
            store.save_probe(session, result)
            store.finish_run(
                session,
                run_id,
                complete=True,
                reason="failed" if result.failed else "ok",
                pages=0,
                links=1,
            )
    return probes


def _describe(reason: object) -> str:
    if isinstance(reason, socket.gaierror):
        return "dns"
    if isinstance(reason, TimeoutError | socket.timeout):
        return "timeout"
    if isinstance(reason, ConnectionRefusedError):
        return "connection_refused"
    if isinstance(reason, ssl.SSLError | ssl.CertificateError):
        return "tls"
    if isinstance(reason, ConnectionError):
        return "connection_lost"
    return f"error: {reason}"[:200]
