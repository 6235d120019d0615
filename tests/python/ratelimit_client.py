"""Calls the Rust Greeter once as a grpcio client would and reports what it saw: the
reply, or the status code name, message and ErrorInfo details of the failure.

Usage: ratelimit_client.py HOST:PORT NAME
"""

import json
import sys

import grpc

import stubs


def main():
    target, name = sys.argv[1], sys.argv[2]
    pb2, pb2_grpc = stubs.load("helloworld")
    with grpc.insecure_channel(target) as channel:
        stub = pb2_grpc.GreeterStub(channel)
        try:
            reply = stub.SayHello(pb2.HelloRequest(name=name), timeout=10)
            seen = {"code": "OK", "message": reply.message}
        except grpc.RpcError as err:
            seen = stubs.failure(err)
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
