"""TCP echo server, a peer of duet's for duetbench's echo and idle sections.

    python3 echo_server.py -addr 127.0.0.1:9000 -api protocol   # asyncio.Protocol: transport.write in data_received
    python3 echo_server.py -addr 127.0.0.1:9000 -api stream     # asyncio.start_server: read, write, drain per chunk
    /usr/bin/python3 echo_server.py ... -uvloop                  # the same on uvloop's loop (Debian python3-uvloop)

Prints exactly one line "listening on ADDR" once it accepts connections and
exits with status 0 on SIGINT or SIGTERM. The soft RLIMIT_NOFILE is raised
to the hard limit, so that the idle section can hold as many connections as
the limit allows.
"""

import argparse
import asyncio
import resource
import signal
import sys


class Echo(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


async def echo_stream(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def serve(host, port, api):
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    if api == "protocol":
        server = await loop.create_server(Echo, host, port, backlog=4096)
    else:
        server = await asyncio.start_server(echo_stream, host, port, backlog=4096)
    h, p = server.sockets[0].getsockname()[:2]
    print(f"listening on {h}:{p}", flush=True)
    await stop
    server.close()
    # Connections stay open after close() (3.11): abort them, do not wait.
    for t in asyncio.all_tasks():
        if t is not asyncio.current_task():
            t.cancel()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-addr", default="127.0.0.1:0", help="HOST:PORT to listen on")
    ap.add_argument("-api", choices=("protocol", "stream"), default="protocol")
    ap.add_argument("-uvloop", action="store_true", help="run on uvloop's event loop")
    a = ap.parse_args()
    host, _, port = a.addr.rpartition(":")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if a.uvloop:
        import uvloop  # Debian: python3-uvloop, for /usr/bin/python3 only

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    asyncio.run(serve(host, int(port), a.api))
    sys.exit(0)


if __name__ == "__main__":
    main()
