"""The HTTP service: an OpenAI-compatible chat API with citations, ask/search, document
management and a chat page, on top of :class:`qa.Assistant`.

Start it with ``qa serve`` or build the app yourself::

    from service import Settings, create_app

    app = create_app(Settings(model=""))
"""

from __future__ import annotations

from service.app import create_app
from service.settings import Settings, get_settings

__all__ = ["Settings", "create_app", "get_settings"]
