"""Serves services.py with hypercorn over h2c on a free loopback port.

Prints `PORT <n>` once the socket listens, then serves until SIGTERM or SIGINT. The port is taken
by binding port 0 here and handing the socket to hypercorn, so there is no race for it.
"""

import asyncio
import os
import signal
import socket
import sys

from hypercorn.asyncio import serve
from hypercorn.config import Config
from restate.server import install_shutdown_hook

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import services  # noqa: E402


async def main() -> None:
    # A parent that blocks signals in its threads (a Swift test runner does) passes that mask on.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    listener.set_inheritable(True)
    config = Config()
    config.bind = [f"fd://{listener.fileno()}"]
    # The runtime keeps one HTTP/2 connection open between invocations.
    config.keep_alive_timeout = 3600
    config.accesslog = None
    config.graceful_timeout = 2
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # The SDK takes over SIGTERM on its first request (to tell handlers about shutdown); its hook
    # list is shared, so ours is registered there rather than replaced.
    install_shutdown_hook(loop, stop.set, signal.SIGTERM)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    print(f"PORT {listener.getsockname()[1]}", flush=True)
    await serve(services.app, config, shutdown_trigger=stop.wait)


if __name__ == "__main__":
    asyncio.run(main())
