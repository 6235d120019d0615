"""A streamed upload this project did not write: requests-toolbelt's MultipartEncoder
sends a large file (read from disk as it goes, never held whole) to the files
example, and the example's memory is read from /proc before and after.

Usage: files_stream_upload.py URL PID SIZE_MIB [DIR]
Writes a SIZE_MIB file of pseudo-random bytes (in DIR, default a temp directory),
uploads it as the form `name=big.bin`, `file=@big.bin` to URL and prints one JSON
object: the status and reply, the file's size and SHA-256, the server's peak RSS
(VmHWM, KiB) before and after the upload and its RSS before it, and the seconds
the upload took.
"""

import hashlib
import json
import os
import sys
import tempfile
import time

import requests
from requests_toolbelt.multipart.encoder import MultipartEncoder

BLOCK = 1 << 20


def status_kib(pid, key):
    """A `key:  N kB` line of /proc/PID/status, in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def write_file(path, size_mib):
    """SIZE_MIB MiB of bytes that do not compress, written a block at a time; their SHA-256."""
    digest = hashlib.sha256()
    seed = hashlib.sha256(b"kratos").digest()
    with open(path, "wb") as f:
        for i in range(size_mib):
            # One MiB from a cheap generator: a hash chain, repeated with its index.
            block = hashlib.shake_256(seed + i.to_bytes(8, "big")).digest(BLOCK)
            digest.update(block)
            f.write(block)
    return digest.hexdigest()


def main():
    url, pid, size_mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with tempfile.TemporaryDirectory(dir=sys.argv[4] if len(sys.argv) > 4 else None) as tmp:
        path = os.path.join(tmp, "big.bin")
        expected = write_file(path, size_mib)
        rss_before = status_kib(pid, "VmRSS")
        hwm_before = status_kib(pid, "VmHWM")
        with open(path, "rb") as f:
            form = MultipartEncoder(
                fields={"name": "big.bin", "file": ("big.bin", f, "application/x-big")}
            )
            started = time.monotonic()
            reply = requests.post(
                url, data=form, headers={"Content-Type": form.content_type}, timeout=600
            )
            seconds = time.monotonic() - started
        hwm_after = status_kib(pid, "VmHWM")
    print(
        json.dumps(
            {
                "status": reply.status_code,
                "reply": reply.json(),
                "size": size_mib * BLOCK,
                "sha256": expected,
                "rss_before_kib": rss_before,
                "hwm_before_kib": hwm_before,
                "hwm_after_kib": hwm_after,
                "seconds": seconds,
            }
        )
    )


if __name__ == "__main__":
    main()
