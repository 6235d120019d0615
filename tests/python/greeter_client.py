"""A gRPC client this project did not write: Python grpcio with protoc-generated stubs.

Usage: greeter_client.py HOST:PORT
Compiles helloworld.proto with grpcio-tools (stubs.py), calls the server, and prints one JSON object with what it saw, for the Rust test to check.
"""

import json
import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

import stubs


def call_error(stub, request):
    """Calls SayHello expecting an error; returns its code, message and ErrorInfo details."""
    try:
        stub.SayHello(request, timeout=10)
        return None
    except grpc.RpcError as err:
        return stubs.failure(err)


def main():
    target = sys.argv[1]
    pb2, pb2_grpc = stubs.load("helloworld")
    seen = {}
    with grpc.insecure_channel(target) as channel:
        stub = pb2_grpc.GreeterStub(channel)
        reply = stub.SayHello(pb2.HelloRequest(name="kratos"), timeout=10)
        seen["reply"] = reply.message

        seen["error"] = call_error(stub, pb2.HelloRequest(name="unknown"))
        seen["panic"] = call_error(stub, pb2.HelloRequest(name="panic"))
        seen["after_panic"] = stub.SayHello(pb2.HelloRequest(name="again"), timeout=10).message

        unknown = channel.unary_unary("/helloworld.v1.Greeter/SayGoodbye")
        try:
            unknown(b"", timeout=10)
            seen["unknown_method"] = "OK"
        except grpc.RpcError as err:
            seen["unknown_method"] = err.code().name

        unknown_service = channel.unary_unary("/helloworld.v1.Nobody/Call")
        try:
            unknown_service(b"", timeout=10)
            seen["unknown_service"] = "OK"
        except grpc.RpcError as err:
            seen["unknown_service"] = err.code().name

        health = health_pb2_grpc.HealthStub(channel)
        overall = health.Check(health_pb2.HealthCheckRequest(service=""), timeout=10)
        greeter = health.Check(health_pb2.HealthCheckRequest(service="helloworld.v1.Greeter"), timeout=10)
        seen["health"] = health_pb2.HealthCheckResponse.ServingStatus.Name(overall.status)
        seen["health_greeter"] = health_pb2.HealthCheckResponse.ServingStatus.Name(greeter.status)
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
