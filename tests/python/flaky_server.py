"""A gRPC server this project did not write: grpcio, serving helloworld.v1.Greeter,
that answers every SayHello with UNAVAILABLE while it is "down", then with
"Hello <name>" once it has recovered, and counts every SayHello it receives.

    python3 flaky_server.py                       # down until told `recover`
    python3 flaky_server.py --unavailable-for 3   # down for 3 s from the first call

Prints the port it listens on, then reads commands from stdin, one a line, and
answers each with one line: `count` (the SayHello calls received so far),
`recover` (answer OK from now on: `ok`), `fail` (down again: `ok`). Stops when
stdin closes.
"""

import argparse
import sys
import threading
import time
from concurrent import futures

import grpc

import stubs

pb2, pb2_grpc = stubs.load("helloworld")


class Flaky(pb2_grpc.GreeterServicer):
    def __init__(self, unavailable_for):
        self.lock = threading.Lock()
        self.calls = 0
        self.down = True
        self.unavailable_for = unavailable_for
        self.first_call = None

    def is_down(self):
        with self.lock:
            self.calls += 1
            if self.unavailable_for is not None:
                now = time.monotonic()
                if self.first_call is None:
                    self.first_call = now
                if now - self.first_call >= self.unavailable_for:
                    self.down = False
            return self.down

    def SayHello(self, request, context):
        if self.is_down():
            context.abort(grpc.StatusCode.UNAVAILABLE, "flaky: down for now")
        return pb2.HelloReply(message=f"Hello {request.name}")

    def command(self, line):
        with self.lock:
            if line == "count":
                return str(self.calls)
            if line == "recover":
                self.down = False
                self.unavailable_for = None
                return "ok"
            if line == "fail":
                self.down = True
                self.unavailable_for = None
                return "ok"
        return f"unknown command {line!r}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--unavailable-for", type=float, default=None, metavar="SECONDS")
    args = parser.parse_args()
    flaky = Flaky(args.unavailable_for)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    pb2_grpc.add_GreeterServicer_to_server(flaky, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    for line in sys.stdin:
        line = line.strip()
        if line:
            print(flaky.command(line), flush=True)
    server.stop(0)


if __name__ == "__main__":
    main()
