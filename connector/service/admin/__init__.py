"""The admin console: a web page under ``/admin`` to fill, check, test, save and restore a
connector's config.

It talks to connectors only through :class:`connector.kit.ConnectorHost` and to configs only
through the config store's interface.  Register it on the service's Flask app::

    app.register_blueprint(admin_blueprint(host, store, AdminSettings.from_env()))
"""

from ._auth import AdminCredential
from ._guide import render_guide
from ._outbox import outbox_reader
from ._views import CSP, AdminSettings, admin_blueprint

__all__ = [
    "CSP",
    "AdminCredential",
    "AdminSettings",
    "admin_blueprint",
    "outbox_reader",
    "render_guide",
]
