#!/usr/bin/env python3
"""Computes the provisioning test vector (docs/PROVISIONING.md) independently of the Rust code, with the
`cryptography` package (OpenSSL's X25519, HKDF and ChaCha20-Poly1305). Writes v1.json beside this file.

    pip install cryptography && python3 make_vector.py
"""
import base64, json, os, struct
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
def raw(pub): return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

client_secret = bytes(range(1, 33))                  # 01 02 .. 20
server_secret = bytes(range(0x41, 0x61))             # 41 42 .. 60
nonce = bytes.fromhex("000102030405060708090a0b")
seed = b"12345678901234567890"                       # the RFC 4226 / 6238 test seed
serial, issuer, algorithm, digits, period = "SKTN12345671", "しんきん銀行", "SHA1", 6, 30
activation_code = "AB12CD34"                         # normalised: upper case, no separators

c = X25519PrivateKey.from_private_bytes(client_secret)
s = X25519PrivateKey.from_private_bytes(server_secret)
cpub, spub = raw(c.public_key()), raw(s.public_key())
shared = s.exchange(c.public_key())
assert shared == c.exchange(s.public_key())

def field(b): return struct.pack(">H", len(b)) + b
transcript = b"".join(field(x) for x in [
    b"softtoken-provision-v1", cpub, spub, serial.encode(), issuer.encode(), algorithm.encode(),
    str(digits).encode(), str(period).encode(), activation_code.encode()])
key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"softtoken/provision/v1", info=transcript).derive(shared)
ct = ChaCha20Poly1305(key).encrypt(nonce, seed, transcript)

vector = {
    "inputs": {
        "client_secret_hex": client_secret.hex(), "server_secret_hex": server_secret.hex(), "nonce_hex": nonce.hex(),
        "seed_ascii": seed.decode(), "serial": serial, "issuer": issuer, "algorithm": algorithm, "digits": digits,
        "period": period, "activation_code": "ab12-cd34", "server_time": 1700000000,
    },
    "intermediate": {"shared_secret_hex": shared.hex(), "transcript_hex": transcript.hex(), "key_hex": key.hex()},
    "request": {"version": 1, "client_public": b64(cpub), "activation_code": activation_code},
    "response": {"version": 1, "serial": serial, "issuer": issuer, "algorithm": algorithm, "digits": digits,
                 "period": period, "server_public": b64(spub), "nonce": b64(nonce), "encrypted_seed": b64(ct),
                 "server_time": 1700000000},
}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "v1.json"), "w", encoding="utf-8") as f:
    json.dump(vector, f, ensure_ascii=False, indent=2)
    f.write("\n")
print(json.dumps(vector["response"], ensure_ascii=False, indent=2))
