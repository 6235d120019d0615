"""Calls the Rust Codes service once per HTTP-style code and reports what a grpcio
client sees: status code name, message, and the ErrorInfo detail read from
grpc-status-details-bin with googleapis-common-protos.

Usage: codes_client.py HOST:PORT CODE [CODE ...]
"""

import json
import sys

import grpc

import stubs


def main():
    target, codes = sys.argv[1], [int(c) for c in sys.argv[2:]]
    pb2, pb2_grpc = stubs.load("codes")
    seen = {}
    with grpc.insecure_channel(target) as channel:
        stub = pb2_grpc.CodesStub(channel)
        for code in codes:
            try:
                stub.Fail(pb2.FailRequest(code=code, reason=f"R{code}"), timeout=10)
                seen[code] = {"code": "OK"}
            except grpc.RpcError as err:
                seen[code] = stubs.failure(err)
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
