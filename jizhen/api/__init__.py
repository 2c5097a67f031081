"""The intake API (Open311 GeoReport v2): ``create_app(engine=None)`` builds the FastAPI app."""
from __future__ import annotations


def create_app(engine=None, **kwargs):
    from jizhen.api.app import create_app as _create

    return _create(engine, **kwargs)


__all__ = ["create_app"]
