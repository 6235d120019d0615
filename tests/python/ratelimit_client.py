"""Calls the Rust Greeter as a grpcio client would and reports what it saw: the reply, or the
status code name, message and ErrorInfo details of the failure.

Usage:
  ratelimit_client.py HOST:PORT NAME          one call
  ratelimit_client.py HOST:PORT NAME --until-refused SECONDS
      calls from 32 threads at once until one is refused with RESOURCE_EXHAUSTED (or SECONDS
      pass) and reports that failure, with how many calls were made and answered OK
"""

import json
import sys
import threading
import time

import grpc

import stubs


def call(stub, pb2, name):
    try:
        reply = stub.SayHello(pb2.HelloRequest(name=name), timeout=10)
        return {"code": "OK", "message": reply.message}
    except grpc.RpcError as err:
        return stubs.failure(err)


def until_refused(stub, pb2, name, seconds):
    deadline = time.monotonic() + seconds
    lock = threading.Lock()
    seen = {"calls": 0, "ok": 0, "refused": None}

    def worker():
        while time.monotonic() < deadline:
            with lock:
                if seen["refused"] is not None:
                    return
            outcome = call(stub, pb2, name)
            with lock:
                seen["calls"] += 1
                if outcome["code"] == "OK":
                    seen["ok"] += 1
                elif outcome["code"] == "RESOURCE_EXHAUSTED" and seen["refused"] is None:
                    seen["refused"] = outcome

    threads = [threading.Thread(target=worker) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return seen


def main():
    target, name = sys.argv[1], sys.argv[2]
    pb2, pb2_grpc = stubs.load("helloworld")
    with grpc.insecure_channel(target) as channel:
        stub = pb2_grpc.GreeterStub(channel)
        if len(sys.argv) > 4 and sys.argv[3] == "--until-refused":
            seen = until_refused(stub, pb2, name, float(sys.argv[4]))
        else:
            seen = call(stub, pb2, name)
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
