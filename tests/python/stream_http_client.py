"""HTTP streaming peers this project did not write: httpx with httpx-sse for the
server stream as Server-Sent Events, httpx line by line for it as NDJSON, and the
`websockets` package for the client stream and the bidi stream.

Usage: stream_http_client.py HTTP_HOST:PORT
Calls stream.v1.Counter of the stream example over HTTP and prints one JSON object
with what it saw, for the Rust test to check.
"""

import json
import sys

import httpx
from httpx_sse import connect_sse
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

TIMEOUT = 30
HALF_CLOSE = "\x1eend"


def sse(client, url):
    """The answer's status and headers, and each event as [event, data as JSON]."""
    with connect_sse(client, "GET", url) as source:
        response = source.response
        events = [[event.event, json.loads(event.data)] for event in source.iter_sse()]
        return {
            "status": response.status_code,
            "content_type": response.headers.get("content-type"),
            "cache_control": response.headers.get("cache-control"),
            "x_accel_buffering": response.headers.get("x-accel-buffering"),
            "events": events,
        }


def sse_leave(client, url, count):
    """Reads `count` events of a long stream and leaves: the values read."""
    with connect_sse(client, "GET", url) as source:
        values = []
        for event in source.iter_sse():
            values.append(json.loads(event.data)["n"])
            if len(values) == count:
                break
        return values


def refused(client, url, headers=None):
    """An answer given before any stream: its status, content type and JSON body."""
    response = client.get(url, headers=headers or {})
    return {
        "status": response.status_code,
        "content_type": response.headers.get("content-type"),
        "body": response.json(),
    }


def ndjson(client, url):
    """The answer's status and content type, and each line read as it streams, as JSON."""
    with client.stream("GET", url, headers={"Accept": "application/x-ndjson"}) as response:
        lines = [json.loads(line) for line in response.iter_lines() if line]
        return {
            "status": response.status_code,
            "content_type": response.headers.get("content-type"),
            "lines": lines,
        }


def read_to_close(ws):
    """Every frame left until the server closes, then how it closed: [code, reason]."""
    frames = []
    try:
        while True:
            frames.append(ws.recv(timeout=TIMEOUT))
    except ConnectionClosed as closed:
        code = closed.rcvd.code if closed.rcvd else None
        reason = closed.rcvd.reason if closed.rcvd else None
        return {"frames": frames, "close": [code, reason]}


def ws_sum(http, numbers):
    """Sends each number as a frame, half-closes, and reads the one reply and the close."""
    with connect(f"ws://{http}/v1/sum", open_timeout=TIMEOUT, close_timeout=TIMEOUT) as ws:
        try:
            for n in numbers:
                ws.send(json.dumps({"n": n}))
            ws.send(HALF_CLOSE)
        except ConnectionClosed:
            # The server may end the stream (an error) before the half-close is
            # sent: what it sent before closing is still read below.
            pass
        return read_to_close(ws)


def ws_echo(http, texts, half_close):
    """Sends each text and reads its echo before the next (the bidi round trip): the
    replies read after each send, then everything until the close."""
    replies = []
    with connect(f"ws://{http}/v1/echo", open_timeout=TIMEOUT, close_timeout=TIMEOUT) as ws:
        for text in texts:
            ws.send(json.dumps({"text": text}))
            try:
                replies.append(ws.recv(timeout=TIMEOUT))
            except ConnectionClosed:
                break
        if half_close:
            ws.send(HALF_CLOSE)
        rest = read_to_close(ws)
    return {"replies": replies, **rest}


def main():
    http = sys.argv[1]
    base = f"http://{http}"
    seen = {}
    with httpx.Client(timeout=TIMEOUT) as client:
        seen["sse_left"] = sse_leave(client, f"{base}/v1/countdown/500", 2)
        seen["sse_3"] = sse(client, f"{base}/v1/countdown/3")
        seen["sse_15"] = sse(client, f"{base}/v1/countdown/15")
        # 187 ticks 10ms apart: longer than the server's 1s timeout, which bounds only the opening.
        seen["sse_200"] = sse(client, f"{base}/v1/countdown/200")
        seen["sse_2000"] = refused(client, f"{base}/v1/countdown/2000")
        seen["ndjson_3"] = ndjson(client, f"{base}/v1/countdown/3")
        seen["ndjson_15"] = ndjson(client, f"{base}/v1/countdown/15")
        seen["ndjson_2000"] = refused(client, f"{base}/v1/countdown/2000", {"Accept": "application/x-ndjson"})
    seen["ws_sum"] = ws_sum(http, [1, 2, 3])
    seen["ws_sum_overflow"] = ws_sum(http, [2**63 - 1, 1])
    seen["ws_echo"] = ws_echo(http, ["a", "b"], half_close=True)
    seen["ws_echo_boom"] = ws_echo(http, ["a", "boom"], half_close=False)
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
