"""The hub's PKI: its own CA, agent enrollment, the key directory, and the broker that enforces them.

ca.py the certificates and CRL; enrollment.py tokens and enrolling; revocation.py
revoking agents; keydir.py the key directory and its publication; broker_config.py the
mosquitto configuration and ACL; setup.py `hub init`'s PKI step; routes.py the API;
cli.py `hub broker-config`, `hub up`, `hub down`.
"""
