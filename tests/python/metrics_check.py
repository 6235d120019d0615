"""A Prometheus scrape page read by a parser this project did not write: prometheus-client's.

Usage:
  metrics_check.py scrape URL          fetches URL and prints what the parser read, as JSON
  metrics_check.py greet HOST:PORT NAME...
                                       calls helloworld.v1.Greeter/SayHello once per NAME over gRPC
                                       (grpcio, stubs compiled from helloworld.proto) and prints
                                       each call's status code name, as JSON

`scrape` prints {"content_type", "families": {name: type}, "counter": [{"labels", "value"}] for
server_requests_code_total, "buckets": [{"labels", "le": [...]}] and "count": [{"labels", "value"}]
for server_requests_seconds}; labels are objects, and `le` values are kept as the page wrote them.
"""

import json
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

COUNTER = "server_requests_code_total"
HISTOGRAM = "server_requests_seconds"


def scrape(url):
    with urllib.request.urlopen(url, timeout=10) as answer:
        content_type = answer.headers.get("content-type")
        text = answer.read().decode("utf-8")
    seen = {"content_type": content_type, "families": {}, "counter": [], "buckets": [], "count": []}
    buckets = {}
    for family in text_string_to_metric_families(text):
        seen["families"][family.name] = family.type
        for sample in family.samples:
            labels = dict(sample.labels)
            if sample.name == COUNTER:
                seen["counter"].append({"labels": labels, "value": float(sample.value)})
            elif sample.name == HISTOGRAM + "_bucket":
                le = labels.pop("le")
                key = json.dumps(labels, sort_keys=True)
                buckets.setdefault(key, {"labels": labels, "le": []})["le"].append(le)
            elif sample.name == HISTOGRAM + "_count":
                seen["count"].append({"labels": labels, "value": float(sample.value)})
    seen["buckets"] = list(buckets.values())
    return seen


def greet(target, names):
    import grpc

    import stubs

    pb2, pb2_grpc = stubs.load("helloworld")
    codes = []
    with grpc.insecure_channel(target) as channel:
        stub = pb2_grpc.GreeterStub(channel)
        for name in names:
            try:
                stub.SayHello(pb2.HelloRequest(name=name), timeout=10)
                codes.append("OK")
            except grpc.RpcError as err:
                codes.append(err.code().name)
    return codes


def main():
    command, target, *rest = sys.argv[1:]
    if command == "scrape":
        print(json.dumps(scrape(target)))
    elif command == "greet":
        print(json.dumps(greet(target, rest)))
    else:
        raise SystemExit(f"unknown command {command!r}: scrape or greet")


if __name__ == "__main__":
    main()
