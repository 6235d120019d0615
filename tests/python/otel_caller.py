"""A traced caller this project did not write: the Python opentelemetry-sdk starts a span and
injects it (W3C tracecontext and baggage, through `opentelemetry.propagate.inject`) into the
outgoing HTTP headers or gRPC metadata of one helloworld call.

Usage:
  otel_caller.py http HOST:PORT NAME   # GET /helloworld/NAME with requests
  otel_caller.py grpc HOST:PORT NAME   # SayHello with grpcio stubs (stubs.py)

Prints one JSON object: {"trace_id", "span_id" (hex, of the caller's span, which the server's span
must name as its parent), "headers" (what was injected), "status" (the HTTP status, or the gRPC
status code name), "body" (HTTP) or "message" (gRPC reply, or the error's message)}.
"""

import argparse
import json
import sys

from opentelemetry import propagate, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_ON
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator


def call_http(target, name, headers):
    import requests

    answer = requests.get(f"http://{target}/helloworld/{name}", headers=headers, timeout=10)
    return {"status": answer.status_code, "body": answer.text}


def call_grpc(target, name, headers):
    import grpc

    import stubs

    pb2, pb2_grpc = stubs.load("helloworld")
    with grpc.insecure_channel(target) as channel:
        stub = pb2_grpc.GreeterStub(channel)
        try:
            reply = stub.SayHello(pb2.HelloRequest(name=name), metadata=list(headers.items()), timeout=10)
            return {"status": "OK", "message": reply.message}
        except grpc.RpcError as err:
            return {"status": err.code().name, "message": err.details()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("transport", choices=["http", "grpc"])
    parser.add_argument("target")
    parser.add_argument("name")
    args = parser.parse_args()

    # Spans are made and sampled but go nowhere: only their ids matter to the server.
    provider = TracerProvider(sampler=ALWAYS_ON)
    tracer = provider.get_tracer("otel_caller")
    propagate.set_global_textmap(CompositePropagator([TraceContextTextMapPropagator(), W3CBaggagePropagator()]))

    with tracer.start_as_current_span("otel_caller", kind=trace.SpanKind.CLIENT) as span:
        headers = {}
        propagate.inject(headers)
        call = call_http if args.transport == "http" else call_grpc
        seen = call(args.target, args.name, headers)
        span_context = span.get_span_context()
    seen["trace_id"] = trace.format_trace_id(span_context.trace_id)
    seen["span_id"] = trace.format_span_id(span_context.span_id)
    seen["headers"] = headers
    print(json.dumps(seen))


if __name__ == "__main__":
    sys.exit(main())
