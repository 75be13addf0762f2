"""The [delivery] section of the hub configuration, read into worker options.

    [delivery]
    poll_interval_s = 0.5       # how often to look for work queued by other processes
    max_in_flight = 16          # requests at once, all case systems together
    max_per_system = 8          # of which one case system may hold at most
    request_timeout_s = 10
    first_retry_s = 2           # backoff: 2 s, 4 s, 8 s … up to max_backoff_s
    max_backoff_s = 3600
    give_up_after_hours = 72    # then a dead letter (never less than 72)

    BackgroundDelivery(context.db, **worker_options(settings)).start()

Every error names the key and what was expected.
"""

from __future__ import annotations

from typing import Any

from hub.config import ConfigError, Settings
from hub.delivery.policy import RetryPolicy

MIN_GIVE_UP_HOURS = 72.0   # the promise: retries for at least 72 hours


def _number(section: dict, key: str, default: float, low: float, high: float, where: str) -> float:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ConfigError(f"{where}: [delivery] {key} = {value!r}; expected a number from {low:g} to {high:g}")
    return value


def worker_options(settings: Settings) -> dict[str, Any]:
    section = settings.raw.get("delivery", {})
    where = str(settings.config_path or "hub configuration")
    if not isinstance(section, dict):
        raise ConfigError(f"{where}: [delivery] must be a table")
    known = {"poll_interval_s", "max_in_flight", "max_per_system", "request_timeout_s", "first_retry_s",
             "max_backoff_s", "give_up_after_hours"}
    unknown = sorted(set(section) - known)
    if unknown:
        raise ConfigError(f"{where}: [delivery] has unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    policy = RetryPolicy(
        first_delay_s=_number(section, "first_retry_s", 2.0, 0.1, 3600, where),
        max_delay_s=_number(section, "max_backoff_s", 3600.0, 1, 24 * 3600, where),
        give_up_after_s=_number(section, "give_up_after_hours", 72.0, MIN_GIVE_UP_HOURS, 24 * 365, where) * 3600)
    return {
        "policy": policy,
        "poll_interval_s": _number(section, "poll_interval_s", 0.5, 0.05, 60, where),
        "max_in_flight": int(_number(section, "max_in_flight", 16, 1, 256, where)),
        "max_per_system": int(_number(section, "max_per_system", 8, 1, 256, where)),
        "request_timeout_s": _number(section, "request_timeout_s", 10.0, 0.5, 300, where),
    }
