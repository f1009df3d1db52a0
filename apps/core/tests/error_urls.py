"""The site's URLconf with emopic's 400 handler registered, for the tests of that handler."""

from emopic.urls import urlpatterns  # noqa: F401

handler400 = "apps.core.views.bad_request"
