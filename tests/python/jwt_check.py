"""The other side of kratos's JWT middleware: keys, tokens minted by PyJWT and
jwcrypto (two independent implementations), tokens from the Rust client checked
by both, and a grpcio caller that sends a token and reports what came back.

Usage:
  jwt_check.py keys DIR            writes RSA and P-256/P-384 key pairs (PKCS#8, SPKI) and secret.txt
  jwt_check.py mint DIR NOW        prints {alg: {case: token}} for HS256, RS256, ES256
  jwt_check.py verify DIR < JSON   JSON: [{"alg", "token"}]; prints what PyJWT and jwcrypto decode
  jwt_check.py grpc HOST:PORT METHOD < JSON
                                   JSON: {case: authorization or null}; prints {case: outcome}
"""

import json
import os
import sys

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwcrypto import jwk
from jwcrypto import jwt as jwcrypto_jwt

SECRET = "kratos-jwt-test-secret, 64 bytes so PyJWT finds it long enough..."


def keys(folder):
    def write(name, key):
        private = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        with open(os.path.join(folder, f"{name}_private.pem"), "wb") as f:
            f.write(private)
        with open(os.path.join(folder, f"{name}_public.pem"), "wb") as f:
            f.write(public)

    write("rsa", rsa.generate_private_key(public_exponent=65537, key_size=2048))
    write("ec", ec.generate_private_key(ec.SECP256R1()))
    write("ec384", ec.generate_private_key(ec.SECP384R1()))
    with open(os.path.join(folder, "secret.txt"), "w") as f:
        f.write(SECRET)
    print(json.dumps({"secret": SECRET}))


def read(folder, name):
    with open(os.path.join(folder, name), "rb") as f:
        return f.read()


def signing_key(folder, alg):
    """The PEM (or secret) PyJWT signs `alg` with."""
    if alg.startswith("HS"):
        return SECRET
    if alg in ("RS256", "RS384", "PS256"):
        return read(folder, "rsa_private.pem")
    if alg == "ES256":
        return read(folder, "ec_private.pem")
    if alg == "ES384":
        return read(folder, "ec384_private.pem")
    raise SystemExit(f"no key for {alg}")


def verifying_key(folder, alg):
    if alg.startswith("HS"):
        return SECRET
    return read(folder, {"RS256": "rsa_public.pem", "ES256": "ec_public.pem"}[alg])


def jwcrypto_key(folder, alg, private):
    if alg.startswith("HS"):
        return jwk.JWK.from_password(SECRET)
    name = {"RS256": "rsa", "ES256": "ec"}[alg]
    return jwk.JWK.from_pem(read(folder, f"{name}_{'private' if private else 'public'}.pem"))


def tamper(token):
    """The same token with one signature character changed in the middle, so the bytes differ."""
    head, signature = token.rsplit(".", 1)
    middle = len(signature) // 2
    swapped = "A" if signature[middle] != "A" else "B"
    return f"{head}.{signature[:middle]}{swapped}{signature[middle + 1:]}"


def mint(folder, now):
    claims = {"sub": "alice", "name": "Alice", "iat": now}
    valid = dict(claims, exp=now + 600, nbf=now - 10)
    expired = dict(claims, exp=now - 10)
    not_yet = dict(claims, nbf=now + 600, exp=now + 1200)
    # A well-signed token of a neighbouring algorithm with a key the server's verifies
    # (Go kratos: `Wrong signing method`), and one the server's key cannot verify
    # (Go: the signature fails first, `Fail to parse JWT token `).
    neighbour = {"HS256": "HS384", "RS256": "PS256", "ES256": "ES256"}
    foreign = {"HS256": "RS256", "RS256": "HS256", "ES256": "ES384"}
    out = {}
    for alg in ("HS256", "RS256", "ES256"):
        key = signing_key(folder, alg)
        tokens = {
            "valid": jwt.encode(valid, key, algorithm=alg),
            "expired": jwt.encode(expired, key, algorithm=alg),
            "not_yet_valid": jwt.encode(not_yet, key, algorithm=alg),
            "foreign_algorithm": jwt.encode(valid, signing_key(folder, foreign[alg]), algorithm=foreign[alg]),
        }
        if neighbour[alg] != alg:
            tokens["neighbour_algorithm"] = jwt.encode(
                valid, signing_key(folder, neighbour[alg]), algorithm=neighbour[alg]
            )
        tokens["tampered"] = tamper(tokens["valid"])
        # The second opinion: jwcrypto's own encoder, valid and expired.
        second = jwcrypto_key(folder, alg, private=True)
        for case, payload in (("jwcrypto_valid", valid), ("jwcrypto_expired", expired)):
            token = jwcrypto_jwt.JWT(header={"alg": alg, "kid": "k1"}, claims=payload)
            token.make_signed_token(second)
            tokens[case] = token.serialize()
        out[alg] = tokens
    print(json.dumps(out))


def verify(folder):
    results = []
    for item in json.load(sys.stdin):
        alg, token = item["alg"], item["token"]
        row = {"alg": alg}
        try:
            row["pyjwt"] = jwt.decode(token, verifying_key(folder, alg), algorithms=[alg])
            row["header"] = jwt.get_unverified_header(token)
        except jwt.PyJWTError as err:
            row["pyjwt_error"] = repr(err)
        try:
            checked = jwcrypto_jwt.JWT(key=jwcrypto_key(folder, alg, private=False), jwt=token, algs=[alg])
            row["jwcrypto"] = json.loads(checked.claims)
        except Exception as err:  # jwcrypto raises several unrelated types
            row["jwcrypto_error"] = repr(err)
        if "pyjwt" in row and alg != "ES256":
            # HMAC and RSA PKCS#1 v1.5 signatures are deterministic: PyJWT (sorted
            # header keys, compact JSON) makes the same bytes for the same claims.
            claims = dict(sorted(row["pyjwt"].items()))
            fields = {k: v for k, v in row["header"].items() if k != "alg"}
            again = jwt.encode(claims, signing_key(folder, alg), algorithm=alg, headers=fields)
            row["pyjwt_same_bytes"] = again == token
        results.append(row)
    print(json.dumps(results))


def varint(n):
    out = b""
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out += bytes([byte | 0x80])
        else:
            return out + bytes([byte])


def grpc_calls(target, method):
    import grpc

    import stubs

    # The request message has one string field, `name = 1`: encoded by hand, no stubs.
    name = b"grpcio"
    request = b"\x0a" + varint(len(name)) + name
    seen = {}
    with grpc.insecure_channel(target) as channel:
        call = channel.unary_unary(method, request_serializer=None, response_deserializer=None)
        for case, authorization in json.load(sys.stdin).items():
            metadata = [("authorization", authorization)] if authorization is not None else []
            try:
                reply = call(request, metadata=metadata, timeout=10)
                seen[case] = {"code": "OK", "reply": reply.decode("utf-8", "replace")}
            except grpc.RpcError as err:
                seen[case] = stubs.failure(err)
    print(json.dumps(seen))


def main():
    command = sys.argv[1]
    if command == "keys":
        keys(sys.argv[2])
    elif command == "mint":
        mint(sys.argv[2], int(sys.argv[3]))
    elif command == "verify":
        verify(sys.argv[2])
    elif command == "grpc":
        grpc_calls(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
