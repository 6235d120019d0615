"""A gRPC streaming peer this project did not write: Python grpcio with stubs that
grpcio-tools compiles from the .proto files the stream example exports.

Usage: stream_grpc_client.py PROTO_DIR GRPC_HOST:PORT
Calls the three shapes of stream.v1.Counter (server, client and bidi streams), with an
error after N messages, a refusal before the stream opens, and a cancel mid-stream;
reads the service by reflection. Prints one JSON object with what it saw, for the
Rust test to check.
"""

import importlib
import json
import sys

import grpc
from google.protobuf import descriptor_pb2
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

import stubs
from exported_client import compile_protos

TIMEOUT = 30


def countdown_request(pb2, start):
    # `from` is a Python keyword, so the field is set by name.
    return pb2.CountdownRequest(**{"from": start})


def drain(responses, field):
    """Reads a reply stream to its end: the values of `field`, and the failure that ended it (or None)."""
    values = []
    try:
        for reply in responses:
            values.append(getattr(reply, field))
        return {"values": values, "error": None}
    except grpc.RpcError as err:
        return {"values": values, "error": stubs.failure(err)}


def cancel_mid_stream(stub, pb2):
    """Reads two ticks of a long countdown, cancels, and reports how the stream ended on this side."""
    call = stub.Countdown(countdown_request(pb2, 500), timeout=TIMEOUT)
    first = [next(call).n, next(call).n]
    cancelled = call.cancel()
    try:
        rest = [reply.n for reply in call]
        ended = {"code": "OK", "after_cancel": rest}
    except grpc.RpcError as err:
        ended = {"code": err.code().name}
    return {"read": first, "cancel_returned": cancelled, "ended": ended}


def sum_of(stub, pb2, numbers):
    """Sends `numbers` to Sum; its total, or the failure."""
    try:
        total = stub.Sum(iter([pb2.Number(n=n) for n in numbers]), timeout=TIMEOUT)
        return {"sum": total.sum, "error": None}
    except grpc.RpcError as err:
        return {"sum": None, "error": stubs.failure(err)}


def reflection(channel):
    """The services the server lists, and Counter's methods as its reflection describes
    them: [name, client streams, server streams]."""
    info = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo
    requests = [
        reflection_pb2.ServerReflectionRequest(list_services=""),
        reflection_pb2.ServerReflectionRequest(file_containing_symbol="stream.v1.Counter"),
    ]
    responses = list(info(iter(requests), timeout=TIMEOUT))
    services = sorted(s.name for s in responses[0].list_services_response.service)
    methods = []
    for raw in responses[1].file_descriptor_response.file_descriptor_proto:
        for service in descriptor_pb2.FileDescriptorProto.FromString(raw).service:
            if service.name == "Counter":
                methods += [[m.name, m.client_streaming, m.server_streaming] for m in service.method]
    return {"services": services, "counter_methods": methods}


def main():
    proto_dir, target = sys.argv[1], sys.argv[2]
    seen = {"files": compile_protos(proto_dir)}
    pb2 = importlib.import_module("stream.v1.counter_pb2")
    pb2_grpc = importlib.import_module("stream.v1.counter_pb2_grpc")
    with grpc.insecure_channel(target) as channel:
        stub = pb2_grpc.CounterStub(channel)
        seen["countdown_3"] = drain(stub.Countdown(countdown_request(pb2, 3), timeout=TIMEOUT), "n")
        seen["countdown_15"] = drain(stub.Countdown(countdown_request(pb2, 15), timeout=TIMEOUT), "n")
        # 187 ticks 10ms apart: longer than the server's 1s timeout, which bounds only the opening.
        seen["countdown_200"] = drain(stub.Countdown(countdown_request(pb2, 200), timeout=TIMEOUT), "n")
        seen["countdown_2000"] = drain(stub.Countdown(countdown_request(pb2, 2000), timeout=TIMEOUT), "n")
        seen["cancel"] = cancel_mid_stream(stub, pb2)
        seen["after_cancel"] = drain(stub.Countdown(countdown_request(pb2, 2), timeout=TIMEOUT), "n")
        seen["sum"] = sum_of(stub, pb2, [1, 2, 3])
        seen["sum_overflow"] = sum_of(stub, pb2, [2**63 - 1, 1])
        msgs = lambda texts: iter([pb2.Msg(text=t) for t in texts])  # noqa: E731
        seen["echo"] = drain(stub.Echo(msgs(["a", "b"]), timeout=TIMEOUT), "text")
        seen["echo_boom"] = drain(stub.Echo(msgs(["a", "boom", "c"]), timeout=TIMEOUT), "text")
        seen["reflection"] = reflection(channel)
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
