"""The API routers: health, ask/search, chat (OpenAI-compatible), documents, web page."""
