"""An OTLP/HTTP trace receiver built from the opentelemetry-proto classes, not from our code.

Usage:
  otlp_receiver.py [--fail | --grpc]

Listens on 127.0.0.1 (a free port), prints `listening PORT` as its first line, then, for every
span of every `POST /v1/traces` (protobuf `ExportTraceServiceRequest`), one JSON line:
{"trace_id", "span_id", "parent_span_id" (hex, "" for a root), "name", "kind" (SERVER, CLIENT,
INTERNAL, ...), "attributes" {key: value}, "status" {"code": UNSET|OK|ERROR, "message"},
"events" [names], "resource" {key: value}, "scope"}. Runs until killed.

With `--fail`, every export is answered 503 Service Unavailable (a collector that is down or
overloaded) and prints {"refused": ATTEMPT, "span_ids": [hex, ...]} instead of its spans (an
exporter that retries sends the same span ids again), until the receiver gets SIGUSR1: from then
on exports are received as above.

With `--grpc`, the same lines for every `Export` call of the collector's
`opentelemetry.proto.collector.trace.v1.TraceService` over gRPC (grpcio) instead.
"""

import argparse
import json
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

KINDS = {
    Span.SPAN_KIND_UNSPECIFIED: "UNSPECIFIED",
    Span.SPAN_KIND_INTERNAL: "INTERNAL",
    Span.SPAN_KIND_SERVER: "SERVER",
    Span.SPAN_KIND_CLIENT: "CLIENT",
    Span.SPAN_KIND_PRODUCER: "PRODUCER",
    Span.SPAN_KIND_CONSUMER: "CONSUMER",
}
STATUS = {
    Status.STATUS_CODE_UNSET: "UNSET",
    Status.STATUS_CODE_OK: "OK",
    Status.STATUS_CODE_ERROR: "ERROR",
}


def value(any_value):
    kind = any_value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [value(v) for v in any_value.array_value.values]
    if kind == "kvlist_value":
        return attributes(any_value.kvlist_value.values)
    if kind == "bytes_value":
        return any_value.bytes_value.hex()
    return getattr(any_value, kind)


def attributes(pairs):
    return {pair.key: value(pair.value) for pair in pairs}


PRINTING = threading.Lock()


def emit(obj):
    """Prints one JSON line whole: exports from two services may arrive at once."""
    with PRINTING:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


def emit_spans(request):
    """Prints one line per span of an `ExportTraceServiceRequest`."""
    for resource_spans in request.resource_spans:
        resource = attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                line = {
                    "trace_id": span.trace_id.hex(),
                    "span_id": span.span_id.hex(),
                    "parent_span_id": span.parent_span_id.hex(),
                    "name": span.name,
                    "kind": KINDS.get(span.kind, str(span.kind)),
                    "attributes": attributes(span.attributes),
                    "status": {
                        "code": STATUS.get(span.status.code, str(span.status.code)),
                        "message": span.status.message,
                    },
                    "events": [event.name for event in span.events],
                    "resource": resource,
                    "scope": scope_spans.scope.name,
                }
                emit(line)


class Receiver(BaseHTTPRequestHandler):
    # Whether exports are refused (--fail, until SIGUSR1), and how many were; shared by the
    # handler threads.
    failing = False
    refused = 0
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        if self.path != "/v1/traces":
            self.send_error(404)
            return
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        with Receiver.lock:
            refuse = Receiver.failing
            if refuse:
                Receiver.refused += 1
                attempt = Receiver.refused
        if refuse:
            ids = [span.span_id.hex() for r in request.resource_spans for s in r.scope_spans for span in s.spans]
            emit({"refused": attempt, "span_ids": ids})
            self.send_response(503)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        emit_spans(request)
        reply = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


def recover(_signum, _frame):
    # Runs on the main thread, which never holds the lock: a plain store is enough.
    Receiver.failing = False


def serve_grpc():
    """OTLP over gRPC: the collector's TraceService, from the opentelemetry-proto stubs."""
    from concurrent import futures

    import grpc
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc

    class Traces(trace_service_pb2_grpc.TraceServiceServicer):
        def Export(self, request, context):
            emit_spans(request)
            return ExportTraceServiceResponse()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Traces(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(f"listening {port}", flush=True)
    server.wait_for_termination()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fail", action="store_true", help="answer exports 503 until SIGUSR1")
    parser.add_argument("--grpc", action="store_true", help="receive OTLP over gRPC instead")
    args = parser.parse_args()
    if args.grpc:
        return serve_grpc()
    Receiver.failing = args.fail
    signal.signal(signal.SIGUSR1, recover)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    print(f"listening {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
