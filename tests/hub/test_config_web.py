"""[web]: each key is read, checked and reaches what `hub serve` builds.

What each key changes in the running console (cookie flags and lifetime, idle timeout,
login throttling) is proven over HTTP in test_web_login.py; here, the values and refusals.
"""

from __future__ import annotations

import pytest

from hub.config import ConfigError, WebSettings
from hub.web.auth import session_policy, throttle_policy
from tests.hub.config_support import settings_for


def test_the_web_keys_reach_the_session_and_throttle_policies(tmp_path):
    settings = settings_for(tmp_path, web={"secure_cookies": False, "idle_timeout_minutes": 7,
                                           "session_lifetime_hours": 3, "login_max_failures": 4,
                                           "login_max_failures_per_address": 9, "login_window_minutes": 2})
    assert settings.web.secure_cookies is False
    assert session_policy(settings).idle_s == 7 * 60 and session_policy(settings).lifetime_s == 3 * 3600
    policy = throttle_policy(settings)
    assert (policy.max_failures_per_user, policy.max_failures_per_address, policy.window_s) == (4, 9, 120)


def test_without_a_web_section_cookies_are_secure_and_the_defaults_hold(tmp_path):
    assert settings_for(tmp_path).web == WebSettings() and WebSettings().secure_cookies is True


@pytest.mark.parametrize("key, value, expected", [
    ("secure_cookies", "yes", "expected true or false"),
    ("idle_timeout_minutes", 0, "expected an integer from 1 to 1440"),
    ("login_max_failures", 2.5, "expected an integer from 1 to 1000"),
    ("shared_secret", "x", r"expected one of the \[web\] keys"),
])
def test_a_wrong_web_value_is_refused_naming_the_key(tmp_path, key, value, expected):
    with pytest.raises(ConfigError, match=rf"\[web\] {key} = .*{expected}"):
        settings_for(tmp_path, web={key: value})
