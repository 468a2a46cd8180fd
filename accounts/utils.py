def client_ip(request) -> str | None:
    """The client's address as seen by the first trusted proxy (REMOTE_ADDR behind gunicorn)."""
    return request.META.get("REMOTE_ADDR") or None


def user_agent(request) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:512]
