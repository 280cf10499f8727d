#!/usr/bin/env python3
"""Regenerates the seed corpus of grpc_server_fuzz (tests/fuzz/corpus/
grpc_server/): HTTP/2 byte streams a gRPC client could send, written from
the RFCs with the standard library only (independent of nghttp2 and ferry):

    tests/fuzz/make_grpc_seeds.py        # from anywhere

Each seed is one option byte (grpc_server_fuzz.cc: bit 0 = do not send the
client preface, bit 1 = linger for the server's answers before
half-closing) followed by frames (RFC 9113 §4.1). Header blocks use HPACK
"literal header field without indexing, new name" with no Huffman coding
(RFC 7541 §6.2.2, §5.1, §5.2): simple and valid for any decoder.
Messages are fuzz_service.proto's fuzz.Msg in gRPC's Length-Prefixed-Message
framing. Separate from make_seeds.py, which drives Apache's Thrift library.
"""
import base64
import gzip
import os
import shutil
import struct

ROOT = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(ROOT, "corpus", "grpc_server")

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
OPT_NO_PREFACE = 1
OPT_LINGER = 2

# Frame types and flags (RFC 9113 §6).
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, \
    WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY_FLAG = 0x1, 0x1, 0x4, 0x8, 0x20
CANCEL, PROTOCOL_ERROR, NO_ERROR = 0x8, 0x1, 0x0


def frame(ftype, flags, stream, payload=b""):
    return (struct.pack(">I", len(payload))[1:] + bytes([ftype, flags])
            + struct.pack(">I", stream & 0x7FFFFFFF) + payload)


def settings(pairs=(), ack=False):
    return frame(SETTINGS, ACK if ack else 0, 0,
                 b"".join(struct.pack(">HI", k, v) for k, v in pairs))


# --- HPACK (RFC 7541) --------------------------------------------------------

def hpack_int(value, prefix_bits, first_byte_flags=0):
    """§5.1: an integer with an N-bit prefix."""
    limit = (1 << prefix_bits) - 1
    if value < limit:
        return bytes([first_byte_flags | value])
    out = [first_byte_flags | limit]
    value -= limit
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def hpack_str(s):
    """§5.2: a string literal, H=0 (no Huffman)."""
    if isinstance(s, str):
        s = s.encode()
    return hpack_int(len(s), 7) + s


def hpack(headers):
    """§6.2.2: every field as a literal without indexing, new name."""
    return b"".join(b"\x00" + hpack_str(n) + hpack_str(v) for n, v in headers)


def request_headers(path, extra=(), content_type="application/grpc",
                    method="POST"):
    return [(":method", method), (":scheme", "http"), (":path", path),
            (":authority", "localhost"), ("content-type", content_type),
            ("te", "trailers")] + list(extra)


def headers_frame(stream, headers, end_stream=False):
    flags = END_HEADERS | (END_STREAM if end_stream else 0)
    return frame(HEADERS, flags, stream, hpack(headers))


# --- fuzz.Msg and gRPC framing -----------------------------------------------

def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def msg(text="", count=0, code=0, compress=False, sleep_us=0):
    """fuzz.Msg (fuzz_service.proto) in the protobuf wire format."""
    out = b""
    if text:
        t = text.encode()
        out += b"\x0a" + varint(len(t)) + t
    if count:
        out += b"\x10" + varint(count)
    if code:
        out += b"\x18" + varint(code)
    if compress:
        out += b"\x20\x01"
    if sleep_us:
        out += b"\x28" + varint(sleep_us)
    return out


def lpm(payload, compressed=False, length=None):
    """gRPC's Length-Prefixed-Message: flag, 4-byte length, bytes."""
    n = len(payload) if length is None else length
    return bytes([1 if compressed else 0]) + struct.pack(">I", n) + payload


def data(stream, payload, end_stream=False):
    return frame(DATA, END_STREAM if end_stream else 0, stream, payload)


SVC = "/fuzz.Svc/"
OPENING = settings([(0x3, 100), (0x4, 65535)])  # MAX_CONCURRENT, WINDOW


def call(path, messages, extra=(), stream=1, **kw):
    """A whole call: headers, one DATA frame per message, END_STREAM."""
    out = headers_frame(stream, request_headers(path, extra, **kw))
    if not messages:
        return out + data(stream, b"", end_stream=True)
    for i, m in enumerate(messages):
        out += data(stream, m, end_stream=(i == len(messages) - 1))
    return out


def seeds():
    s = {}
    s["unary"] = OPENING + call(SVC + "Unary", [lpm(msg("hello"))])
    s["unary-metadata-timeout"] = OPENING + call(
        SVC + "Unary", [lpm(msg("meta", compress=True))],
        extra=[("grpc-timeout", "1S"), ("grpc-accept-encoding", "gzip"),
               ("user-agent", "seed/1.0"), ("x-custom", "value"),
               ("x-trace-bin", base64.b64encode(b"\x00\x01\xff").decode()),
               ("x-unpadded-bin", "AAEC")])
    s["unary-gzip-request"] = OPENING + call(
        SVC + "Unary", [lpm(gzip.compress(msg("zipped")), compressed=True)],
        extra=[("grpc-encoding", "gzip"),
               ("grpc-accept-encoding", "gzip,identity")])
    s["unary-compressed-without-encoding"] = OPENING + call(
        SVC + "Unary", [lpm(gzip.compress(msg("x")), compressed=True)])
    s["unary-gzip-corrupt"] = OPENING + call(
        SVC + "Unary", [lpm(b"\x1f\x8b\x08\x00garbage", compressed=True)],
        extra=[("grpc-encoding", "gzip")])
    s["unary-oversize-length"] = OPENING + call(
        SVC + "Unary", [lpm(b"\x0a\x03abc", length=1 << 20)])
    s["unary-truncated-message"] = OPENING + call(
        SVC + "Unary", [lpm(msg("short"))[:6]])
    s["unary-bad-protobuf"] = OPENING + call(SVC + "Unary",
                                             [lpm(b"\xff\xff\xff")])
    s["unary-no-message"] = OPENING + call(SVC + "Unary", [])
    s["unary-error-status"] = OPENING + call(
        SVC + "Unary", [lpm(msg("failed: 100% \u00e9t\u00e9\n", code=5))])
    s["unary-deadline"] = OPENING + call(
        SVC + "Unary", [lpm(msg("slow", sleep_us=2000))],
        extra=[("grpc-timeout", "1m")])
    s["client-streaming"] = OPENING + call(
        SVC + "Collect", [lpm(msg("a")), lpm(msg("b")) + lpm(msg("c"))],
        extra=[("x-echo", "1")])
    s["server-streaming"] = OPENING + call(
        SVC + "Expand", [lpm(msg("many", count=3, compress=True))],
        extra=[("grpc-accept-encoding", "gzip")])
    s["bidi"] = OPENING + call(
        SVC + "Chat", [lpm(msg("ping")), lpm(msg("pong", code=0))])
    s["bidi-half-open"] = OPENING + headers_frame(
        1, request_headers(SVC + "Chat")) + data(1, lpm(msg("open")))
    s["unknown-path"] = OPENING + call("/pkg.Nope/Method", [lpm(msg("?"))])
    s["health-check"] = OPENING + call("/grpc.health.v1.Health/Check",
                                       [lpm(b"")])
    s["health-watch"] = OPENING + call("/grpc.health.v1.Health/Watch",
                                       [lpm(b"\x0a\x08fuzz.Svc")])
    s["wrong-content-type"] = OPENING + call(
        SVC + "Unary", [lpm(msg("x"))], content_type="text/plain")
    s["get-method"] = OPENING + call(SVC + "Unary", [], method="GET")
    s["bad-grpc-timeout"] = OPENING + call(
        SVC + "Unary", [lpm(msg("x"))], extra=[("grpc-timeout", "123456789S")])
    s["bad-grpc-timeout-unit"] = OPENING + call(
        SVC + "Unary", [lpm(msg("x"))], extra=[("grpc-timeout", "5x")])
    s["unsupported-encoding"] = OPENING + call(
        SVC + "Unary", [lpm(msg("x"))], extra=[("grpc-encoding", "snappy")])
    s["rst-stream-during-call"] = OPENING + headers_frame(
        1, request_headers(SVC + "Unary")) + data(
            1, lpm(msg("cancel me", sleep_us=1000)), end_stream=True) + frame(
                RST_STREAM, 0, 1, struct.pack(">I", CANCEL))
    s["rst-stream-bidi"] = OPENING + headers_frame(
        1, request_headers(SVC + "Chat")) + data(1, lpm(msg("a"))) + frame(
            RST_STREAM, 0, 1, struct.pack(">I", CANCEL))
    s["window-ping-goaway"] = (
        OPENING + frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1 << 20))
        + call(SVC + "Unary", [lpm(msg("w"))])
        + frame(WINDOW_UPDATE, 0, 1, struct.pack(">I", 4096))
        + frame(PING, 0, 0, b"12345678")
        + settings(ack=True)
        + frame(GOAWAY, 0, 0, struct.pack(">II", 1, NO_ERROR) + b"bye"))
    hdr = hpack(request_headers(SVC + "Unary", [("x-long", "v" * 200)]))
    s["continuation"] = OPENING + frame(HEADERS, 0, 1, hdr[:30]) + frame(
        CONTINUATION, 0, 1, hdr[30:60]) + frame(
            CONTINUATION, END_HEADERS, 1, hdr[60:]) + data(
                1, lpm(msg("cont")), end_stream=True)
    s["padded-priority"] = OPENING + frame(
        HEADERS, END_HEADERS | PADDED | PRIORITY_FLAG, 1,
        b"\x03" + struct.pack(">I", 0) + b"\x10"
        + hpack(request_headers(SVC + "Unary")) + b"\x00" * 3) + frame(
            DATA, PADDED | END_STREAM, 1,
            b"\x02" + lpm(msg("pad")) + b"\x00\x00")
    s["client-trailers"] = OPENING + headers_frame(
        1, request_headers(SVC + "Collect")) + data(1, lpm(msg("t"))) + \
        headers_frame(1, [("x-trailer", "yes")], end_stream=True)
    s["many-streams"] = OPENING + b"".join(
        headers_frame(sid, request_headers(SVC + m)) for sid, m in
        [(1, "Unary"), (3, "Collect"), (5, "Expand"), (7, "Chat")]) + b"".join(
            data(sid, lpm(msg(f"s{sid}", count=2)), end_stream=True)
            for sid in (7, 5, 3, 1))
    s["split-message"] = OPENING + headers_frame(
        1, request_headers(SVC + "Chat")) + b"".join(
            data(1, part) for part in
            (lambda b: [b[:2], b[2:7], b[7:]])(lpm(msg("split across frames")))
        ) + data(1, b"", end_stream=True)
    s["protocol-error-even-stream"] = OPENING + call(
        SVC + "Unary", [lpm(msg("x"))], stream=2)

    out = {}
    for name, body in s.items():
        out[name] = bytes([OPT_LINGER]) + body
    # The same streams without lingering, and the preface check itself.
    for name in ("unary", "bidi", "many-streams", "rst-stream-during-call"):
        out[name + "-no-linger"] = bytes([0]) + s[name]
    out["raw-with-preface"] = bytes([OPT_NO_PREFACE | OPT_LINGER]) + \
        PREFACE + s["unary"]
    out["raw-bad-preface"] = bytes([OPT_NO_PREFACE]) + \
        b"PRI * HTTP/1.1\r\n\r\nSM\r\n\r\n" + s["unary"]
    out["raw-http1"] = bytes([OPT_NO_PREFACE | OPT_LINGER]) + \
        b"POST /fuzz.Svc/Unary HTTP/1.1\r\nHost: x\r\n\r\n"
    return out


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    made = seeds()
    for name, body in made.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(body)
    print(f"make_grpc_seeds: wrote {len(made)} seeds to {OUT}")


if __name__ == "__main__":
    main()
