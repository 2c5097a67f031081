"""Serve the intake API with uvicorn (one process; Ctrl-C or SIGTERM stops it)."""
from __future__ import annotations

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8600


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *, log_level: str = "info") -> None:
    import uvicorn

    from jizhen.api.app import create_app
    from jizhen.db import init_db, make_engine

    engine = make_engine()
    init_db(engine)
    # No access log: a caller may put its api_key in the query string (some Open311 clients do).
    uvicorn.run(create_app(engine), host=host, port=port, log_level=log_level, access_log=False)


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m jizhen.api",
                                     description="启动救助受理接口 (Open311 GeoReport v2)")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    serve(args.host, args.port, log_level=args.log_level)
