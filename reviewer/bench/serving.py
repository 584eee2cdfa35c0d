"""Serve an ASGI app the way `reviewer serve` does: uvicorn in this process on a loopback port
it picks, through a socket made with IPPROTO_TCP (asyncio then sets TCP_NODELAY on every
connection), announcing "<name> serving on http://127.0.0.1:PORT/" on stdout."""

from __future__ import annotations


def serve(app, name: str) -> None:
    import uvicorn

    from reviewer.cli.service import listening_socket

    sock = listening_socket("127.0.0.1", 0)
    print(f"{name} serving on http://127.0.0.1:{sock.getsockname()[1]}/", flush=True)
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
