"""UDP echo server, a peer of duet's for duetbench's udp section.

    python3 udp_echo_server.py -addr 127.0.0.1:9000            # asyncio.DatagramProtocol: transport.sendto in datagram_received
    /usr/bin/python3 udp_echo_server.py ... -uvloop             # the same on uvloop's loop (Debian python3-uvloop)

Prints exactly one line "listening on ADDR" once bound and exits with
status 0 on SIGINT or SIGTERM.
"""

import argparse
import asyncio
import signal
import sys


class Echo(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.transport.sendto(data, addr)

    def error_received(self, exc):
        pass


async def serve(host, port):
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    transport, _ = await loop.create_datagram_endpoint(Echo, local_addr=(host, port))
    h, p = transport.get_extra_info("sockname")[:2]
    print(f"listening on {h}:{p}", flush=True)
    await stop
    transport.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-addr", default="127.0.0.1:0", help="HOST:PORT to bind")
    ap.add_argument("-uvloop", action="store_true", help="run on uvloop's event loop")
    a = ap.parse_args()
    host, _, port = a.addr.rpartition(":")
    if a.uvloop:
        import uvloop  # Debian: python3-uvloop, for /usr/bin/python3 only

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    asyncio.run(serve(host, int(port)))
    sys.exit(0)


if __name__ == "__main__":
    main()
