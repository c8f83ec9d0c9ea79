"""logto-connector-tencent-sms: Logto-style SMS connectors for Python, and Tencent's.

The public API lives in :mod:`connector.kit` (hosts and connector authors) and
:mod:`connector.tencent_sms` (the Tencent SMS connector).  Importing this package imports
nothing heavy: HTTP, JSON Schema and phone libraries load when a send or a validation
needs them.
"""

__version__ = "0.1.0"
