"""A gRPC server this project did not write: grpcio, failing each call with the
gRPC status code it is asked for and an ErrorInfo detail (reason from the request,
metadata {"from": "python"}), as a Go kratos server would.

Prints the port it listens on, then serves until stdin closes.
"""

import sys
from concurrent import futures

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

import stubs

pb2, pb2_grpc = stubs.load("codes")


class Codes(pb2_grpc.CodesServicer):
    def Fail(self, request, context):
        if request.code == 0:
            return pb2.FailReply()
        detail = any_pb2.Any()
        detail.Pack(error_details_pb2.ErrorInfo(reason=request.reason, metadata={"from": "python"}))
        status = status_pb2.Status(code=request.code, message=f"python says {request.code}", details=[detail])
        context.abort_with_status(rpc_status.to_status(status))


def main():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    pb2_grpc.add_CodesServicer_to_server(Codes(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    sys.stdin.read()
    server.stop(0)


if __name__ == "__main__":
    main()
