from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "emopic.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from channels.sessions import SessionMiddlewareStack  # noqa: E402
from django.conf import settings  # noqa: E402

from apps.core.hangups import HangUpWatcher  # noqa: E402
from emopic.routing import websocket_urlpatterns  # noqa: E402

if settings.EMOPIC_WARMUP_MODELS:
    # Here, not in AppConfig.ready(): only a serving process warms up (not migrate or the tests),
    # and after any fork of a pre-forking server, since it imports this module in each worker.
    from apps.core.ml import warm_up_in_background

    warm_up_in_background()

application = ProtocolTypeRouter(
    {
        "http": HangUpWatcher(django_asgi_app),  # so a view can tell that its client has hung up
        # Origin checked against ALLOWED_HOSTS (no cross-site sockets); the session finds the visitor's profiles.
        "websocket": AllowedHostsOriginValidator(SessionMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
