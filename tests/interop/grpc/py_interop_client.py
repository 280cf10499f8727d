#!/usr/bin/env python3
"""The reference gRPC interop client on Python grpcio (Debian's
python3-grpcio 1.51): the cases of gRPC's interop test descriptions
(doc/interop-test-descriptions.md) against a server of
grpc.testing.TestService (../shared/interop/grpc/test.proto).

    py_interop_client.py --server_host HOST --server_port PORT
        [--test_case NAME[,NAME...]|all] [--use_tls false]
        [--proto_dir DIR] [--protoc PATH]

The same flags and cases as grpc_cpp_interop_client (see CASES); prints
`PASS <case>` or `FAIL <case>: <why>` per case and exits 0 only if every
case passed (2: bad flags). Plaintext only. Every call has a 10 s deadline
and each case its own channel.

The message classes come from DIR's empty.proto and messages.proto (default:
the team's shared copies), compiled at run time by Debian's protoc
(--python_out) into a temporary directory. No service code is generated:
the calls go through grpcio's generic multi-callables
(channel.unary_unary('/grpc.testing.TestService/UnaryCall', ...)), which
need neither grpc_tools nor grpc_python_plugin.

Where grpcio 1.51 lacks an API, the case does the closest thing it allows:
- server_compressed_unary / server_compressed_streaming: grpcio does not
  expose a received message's compressed flag, so these check the calls
  and payloads only (the descriptions allow this: "if supported by the
  implementation").
- client_compressed_streaming: grpcio has no per-message write options.
  The uncompressed second message on the gzip call is sent with core's
  GRPC_WRITE_NO_COMPRESS flag by swapping grpc._channel._EMPTY_FLAGS (the
  flags grpcio passes to the send-message operation it builds right after
  pulling the message from the request iterator) while that message is
  pulled. If a grpcio without those internals is met, the case says so and
  sends the second message compressed with expect_compressed=true instead.
"""

import argparse
import importlib
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading

import grpc

CALL_TIMEOUT = 10.0
ECHO_INITIAL = "x-grpc-test-echo-initial"
ECHO_INITIAL_VALUE = "test_initial_metadata_value"
ECHO_TRAILING_BIN = "x-grpc-test-echo-trailing-bin"
ECHO_TRAILING_BIN_VALUE = b"\xab\xab\xab"
SERVICE = "/grpc.testing.TestService/"

# Filled by import_messages(): the generated modules.
empty_pb2 = None
messages_pb2 = None


def import_messages(proto_dir, protoc):
    """Compiles empty.proto and messages.proto (in the tree test.proto
    imports them from) and imports the modules. They build their
    descriptors at import time, so the directory can go right after."""
    global empty_pb2, messages_pb2
    compiler = shutil.which(protoc)
    if compiler is None:
        sys.exit(f"py_interop_client: protoc '{protoc}' not found")
    rel = os.path.join("src", "proto", "grpc", "testing")
    with tempfile.TemporaryDirectory(prefix="ferry-grpc-interop-py-") as tmp:
        root = os.path.join(tmp, "protos")
        out = os.path.join(tmp, "out")
        os.makedirs(os.path.join(root, rel))
        os.makedirs(out)
        files = []
        for stem in ("empty", "messages"):
            src = os.path.join(proto_dir, f"{stem}.proto")
            dst = os.path.join(root, rel, f"{stem}.proto")
            try:
                shutil.copyfile(src, dst)
            except OSError as e:
                sys.exit(f"py_interop_client: {e}")
            files.append(dst)
        run = subprocess.run([compiler, "-I", root, f"--python_out={out}"]
                             + files, capture_output=True, text=True,
                             timeout=60)
        if run.returncode != 0:
            sys.exit(f"py_interop_client: protoc --python_out failed:\n"
                     f"{run.stdout}{run.stderr}")
        sys.path.insert(0, out)
        try:
            from src.proto.grpc.testing import empty_pb2 as e
            from src.proto.grpc.testing import messages_pb2 as m
        finally:
            sys.path.remove(out)
    empty_pb2, messages_pb2 = e, m


class CaseFailure(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise CaseFailure(what)


def describe(err):
    return f"status {err.code().name} '{err.details()}'"


def expect_code(fn, code, step):
    """Runs fn(), which must raise grpc.RpcError with `code`; returns it."""
    try:
        fn()
    except grpc.RpcError as e:
        expect(e.code() == code,
               f"{step}: expected {code.name}, got {describe(e)}")
        return e
    raise CaseFailure(f"{step}: succeeded, expected {code.name}")


def zeros(n):
    return b"\0" * n


def expect_zeros(body, n, step):
    expect(len(body) == n, f"{step}: payload is {len(body)} bytes, "
                           f"expected {n}")
    expect(body == zeros(n), f"{step}: payload is not all zeros")


def large_request(**fields):
    return messages_pb2.SimpleRequest(
        response_type=messages_pb2.COMPRESSABLE, response_size=314159,
        payload=messages_pb2.Payload(body=zeros(271828)), **fields)


def output_request(response_size, body_size=None, **fields):
    req = messages_pb2.StreamingOutputCallRequest(
        response_type=messages_pb2.COMPRESSABLE, **fields)
    req.response_parameters.add(size=response_size)
    if body_size is not None:
        req.payload.body = zeros(body_size)
    return req


def find_md(metadata, key):
    for k, v in metadata or ():
        if k == key:
            return v
    return None


def expect_echoed_metadata(initial, trailing, step):
    v = find_md(initial, ECHO_INITIAL)
    expect(v == ECHO_INITIAL_VALUE,
           f"{step}: {ECHO_INITIAL} in initial metadata is {v!r}")
    v = find_md(trailing, ECHO_TRAILING_BIN)
    expect(v == ECHO_TRAILING_BIN_VALUE,
           f"{step}: {ECHO_TRAILING_BIN} in trailing metadata is {v!r}")


class Requests:
    """A request iterator fed from the test: put() queues a request,
    close() half-closes, abandon() ends it (for calls already over)."""

    _CLOSE = object()

    def __init__(self):
        self._q = queue.Queue()

    def put(self, req):
        self._q.put(req)

    def close(self):
        self._q.put(self._CLOSE)

    abandon = close

    def __iter__(self):
        return self

    def __next__(self):
        item = self._q.get()
        if item is self._CLOSE:
            raise StopIteration
        return item


class Client:
    def __init__(self, channel):
        ch = channel
        m, e = messages_pb2, empty_pb2

        def uu(name, req, resp, service=SERVICE):
            return ch.unary_unary(service + name,
                                  request_serializer=req.SerializeToString,
                                  response_deserializer=resp.FromString)

        self.empty_call = uu("EmptyCall", e.Empty, e.Empty)
        self.unary_call = uu("UnaryCall", m.SimpleRequest, m.SimpleResponse)
        self.unimplemented_call = uu("UnimplementedCall", e.Empty, e.Empty)
        self.unimplemented_service_call = uu(
            "UnimplementedCall", e.Empty, e.Empty,
            service="/grpc.testing.UnimplementedService/")
        self.streaming_output_call = ch.unary_stream(
            SERVICE + "StreamingOutputCall",
            request_serializer=m.StreamingOutputCallRequest.SerializeToString,
            response_deserializer=m.StreamingOutputCallResponse.FromString)
        self.streaming_input_call = ch.stream_unary(
            SERVICE + "StreamingInputCall",
            request_serializer=m.StreamingInputCallRequest.SerializeToString,
            response_deserializer=m.StreamingInputCallResponse.FromString)
        self.full_duplex_call = ch.stream_stream(
            SERVICE + "FullDuplexCall",
            request_serializer=m.StreamingOutputCallRequest.SerializeToString,
            response_deserializer=m.StreamingOutputCallResponse.FromString)

    # --- cases ---------------------------------------------------------

    def empty_unary(self):
        resp = self.empty_call(empty_pb2.Empty(), timeout=CALL_TIMEOUT)
        expect(isinstance(resp, empty_pb2.Empty), "response is not an Empty")

    def large_unary(self):
        resp = self.unary_call(large_request(), timeout=CALL_TIMEOUT)
        expect_zeros(resp.payload.body, 314159, "UnaryCall")

    def client_compressed_unary(self):
        # The feature probe: expects compression, sent uncompressed.
        expect_code(lambda: self.unary_call(
            large_request(expect_compressed=messages_pb2.BoolValue(
                value=True)),
            timeout=CALL_TIMEOUT, compression=grpc.Compression.NoCompression),
            grpc.StatusCode.INVALID_ARGUMENT, "probe (uncompressed)")
        for compressed in (True, False):
            step = "compressed call" if compressed else "uncompressed call"
            resp = self.call_ok(
                step, self.unary_call,
                large_request(expect_compressed=messages_pb2.BoolValue(
                    value=compressed)),
                timeout=CALL_TIMEOUT,
                compression=(grpc.Compression.Gzip if compressed
                             else grpc.Compression.NoCompression))
            expect_zeros(resp.payload.body, 314159, step)

    def server_compressed_unary(self):
        # grpcio does not show whether a response was compressed: the call
        # and its payload are checked (see the module docs).
        for compressed in (True, False):
            step = f"response_compressed={str(compressed).lower()}"
            resp = self.call_ok(
                step, self.unary_call,
                large_request(response_compressed=messages_pb2.BoolValue(
                    value=compressed)),
                timeout=CALL_TIMEOUT)
            expect_zeros(resp.payload.body, 314159, step)

    def client_streaming(self):
        reqs = [messages_pb2.StreamingInputCallRequest(
            payload=messages_pb2.Payload(body=zeros(n)))
            for n in (27182, 8, 1828, 45904)]
        resp = self.call_ok("StreamingInputCall", self.streaming_input_call,
                            iter(reqs), timeout=CALL_TIMEOUT)
        expect(resp.aggregated_payload_size == 74922,
               f"aggregated_payload_size {resp.aggregated_payload_size}")

    def client_compressed_streaming(self):
        m = messages_pb2
        probe = m.StreamingInputCallRequest(
            expect_compressed=m.BoolValue(value=True),
            payload=m.Payload(body=zeros(27182)))
        expect_code(lambda: self.streaming_input_call(
            iter([probe]), timeout=CALL_TIMEOUT,
            compression=grpc.Compression.NoCompression),
            grpc.StatusCode.INVALID_ARGUMENT, "probe (uncompressed)")

        first = m.StreamingInputCallRequest(
            expect_compressed=m.BoolValue(value=True),
            payload=m.Payload(body=zeros(27182)))
        second = m.StreamingInputCallRequest(
            expect_compressed=m.BoolValue(value=False),
            payload=m.Payload(body=zeros(45904)))
        try:
            channel_module = importlib.import_module("grpc._channel")
            cygrpc = importlib.import_module("grpc._cython.cygrpc")
        except ImportError:
            channel_module = cygrpc = None
        per_message = (channel_module is not None
                       and hasattr(channel_module, "_EMPTY_FLAGS")
                       and cygrpc is not None
                       and hasattr(cygrpc, "WriteFlag"))
        if not per_message:
            print("py_interop_client: client_compressed_streaming: no "
                  "per-message compression control in this grpcio; the "
                  "second message goes compressed", file=sys.stderr)
            second.expect_compressed.value = True

        def requests():
            yield first
            if not per_message:
                yield second
                return
            # grpcio builds the send operation for a message right after
            # pulling it, with flags _EMPTY_FLAGS: swapped for this pull.
            saved = channel_module._EMPTY_FLAGS
            channel_module._EMPTY_FLAGS = cygrpc.WriteFlag.no_compress
            try:
                yield second
            finally:
                channel_module._EMPTY_FLAGS = saved

        resp = self.call_ok("StreamingInputCall", self.streaming_input_call,
                            requests(), timeout=CALL_TIMEOUT,
                            compression=grpc.Compression.Gzip)
        expect(resp.aggregated_payload_size == 73086,
               f"aggregated_payload_size {resp.aggregated_payload_size}")

    def server_streaming(self):
        sizes = [31415, 9, 2653, 58979]
        req = messages_pb2.StreamingOutputCallRequest(
            response_type=messages_pb2.COMPRESSABLE)
        for n in sizes:
            req.response_parameters.add(size=n)
        got = self.call_ok("StreamingOutputCall",
                           lambda: list(self.streaming_output_call(
                               req, timeout=CALL_TIMEOUT)))
        expect(len(got) == len(sizes),
               f"{len(got)} responses, expected {len(sizes)}")
        for resp, n in zip(got, sizes):
            expect_zeros(resp.payload.body, n, "response")

    def server_compressed_streaming(self):
        # grpcio does not show whether a response was compressed: the call
        # and its payloads are checked (see the module docs).
        params = [(True, 31415), (False, 92653)]
        req = messages_pb2.StreamingOutputCallRequest(
            response_type=messages_pb2.COMPRESSABLE)
        for compressed, n in params:
            req.response_parameters.add(
                size=n, compressed=messages_pb2.BoolValue(value=compressed))
        got = self.call_ok("StreamingOutputCall",
                           lambda: list(self.streaming_output_call(
                               req, timeout=CALL_TIMEOUT)))
        expect(len(got) == len(params),
               f"{len(got)} responses, expected {len(params)}")
        for resp, (_, n) in zip(got, params):
            expect_zeros(resp.payload.body, n, "response")

    def ping_pong(self):
        reqs = Requests()
        call = self.full_duplex_call(reqs, timeout=CALL_TIMEOUT)
        try:
            for response_size, body_size in ((31415, 27182), (9, 8),
                                             (2653, 1828), (58979, 45904)):
                reqs.put(output_request(response_size, body_size))
                resp = self.call_ok(f"response of {response_size} bytes",
                                    next, call, None)
                expect(resp is not None,
                       f"no response to the request for {response_size} "
                       f"bytes")
                expect_zeros(resp.payload.body, response_size, "response")
            reqs.close()
            extra = self.call_ok("FullDuplexCall", next, call, None)
            expect(extra is None, "a fifth response")
            expect(call.code() == grpc.StatusCode.OK,
                   f"FullDuplexCall: status {call.code().name}")
        finally:
            reqs.abandon()
            call.cancel()

    def empty_stream(self):
        got = self.call_ok("FullDuplexCall", lambda: list(
            self.full_duplex_call(iter([]), timeout=CALL_TIMEOUT)))
        expect(not got, f"{len(got)} responses to no request")

    def timeout_on_sleeping_server(self):
        reqs = Requests()
        reqs.put(messages_pb2.StreamingOutputCallRequest(
            payload=messages_pb2.Payload(body=zeros(27182))))
        try:
            call = self.full_duplex_call(reqs, timeout=0.001)
            expect_code(lambda: list(call), grpc.StatusCode.DEADLINE_EXCEEDED,
                        "FullDuplexCall")
        finally:
            reqs.abandon()

    def cancel_after_begin(self):
        reqs = Requests()
        try:
            future = self.streaming_input_call.future(reqs,
                                                      timeout=CALL_TIMEOUT)
            future.cancel()
            expect(future.cancelled(), "the call was not cancelled")
            expect(future.code() == grpc.StatusCode.CANCELLED,
                   f"StreamingInputCall: status {future.code().name}")
        finally:
            reqs.abandon()

    def cancel_after_first_response(self):
        reqs = Requests()
        call = self.full_duplex_call(reqs, timeout=CALL_TIMEOUT)
        try:
            reqs.put(output_request(31415, 27182))
            resp = self.call_ok("first response", next, call, None)
            expect(resp is not None, "no first response")
            expect_zeros(resp.payload.body, 31415, "first response")
            call.cancel()
            expect(call.code() == grpc.StatusCode.CANCELLED,
                   f"FullDuplexCall: status {call.code().name}")
        finally:
            reqs.abandon()

    def custom_metadata(self):
        metadata = ((ECHO_INITIAL, ECHO_INITIAL_VALUE),
                    (ECHO_TRAILING_BIN, ECHO_TRAILING_BIN_VALUE))
        resp, call = self.call_ok(
            "UnaryCall", self.unary_call.with_call, large_request(),
            timeout=CALL_TIMEOUT, metadata=metadata)
        expect_zeros(resp.payload.body, 314159, "UnaryCall")
        expect_echoed_metadata(call.initial_metadata(),
                               call.trailing_metadata(), "UnaryCall")

        call = self.full_duplex_call(iter([output_request(314159, 271828)]),
                                     timeout=CALL_TIMEOUT, metadata=metadata)
        got = self.call_ok("FullDuplexCall", lambda: list(call))
        expect(len(got) == 1, f"FullDuplexCall: {len(got)} responses")
        expect_zeros(got[0].payload.body, 314159, "FullDuplexCall")
        expect_echoed_metadata(call.initial_metadata(),
                               call.trailing_metadata(), "FullDuplexCall")

    def status_code_and_message(self):
        message = "test status message"
        self.expect_unary_status(message)
        req = messages_pb2.StreamingOutputCallRequest(
            response_status=messages_pb2.EchoStatus(code=2, message=message))
        err = expect_code(lambda: list(self.full_duplex_call(
            iter([req]), timeout=CALL_TIMEOUT)), grpc.StatusCode.UNKNOWN,
            "FullDuplexCall")
        expect(err.details() == message,
               f"FullDuplexCall: status message {err.details()!r}")

    def special_status_message(self):
        self.expect_unary_status(
            "\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP "
            "\U0001f608\t\n")

    def unimplemented_method(self):
        expect_code(lambda: self.unimplemented_call(empty_pb2.Empty(),
                                                    timeout=CALL_TIMEOUT),
                    grpc.StatusCode.UNIMPLEMENTED,
                    "TestService/UnimplementedCall")

    def unimplemented_service(self):
        expect_code(lambda: self.unimplemented_service_call(
            empty_pb2.Empty(), timeout=CALL_TIMEOUT),
            grpc.StatusCode.UNIMPLEMENTED,
            "UnimplementedService/UnimplementedCall")

    # --- helpers -------------------------------------------------------

    @staticmethod
    def call_ok(step, fn, *args, **kwargs):
        """fn(*args, **kwargs), turning an RPC error into a failure."""
        try:
            return fn(*args, **kwargs)
        except grpc.RpcError as e:
            raise CaseFailure(f"{step}: {describe(e)}") from None

    def expect_unary_status(self, message):
        req = messages_pb2.SimpleRequest(
            response_status=messages_pb2.EchoStatus(code=2, message=message))
        err = expect_code(lambda: self.unary_call(req, timeout=CALL_TIMEOUT),
                          grpc.StatusCode.UNKNOWN, "UnaryCall")
        expect(err.details() == message,
               f"UnaryCall: status message {err.details()!r}")


CASES = [
    "empty_unary", "large_unary", "client_streaming", "server_streaming",
    "ping_pong", "empty_stream", "timeout_on_sleeping_server",
    "cancel_after_begin", "cancel_after_first_response", "custom_metadata",
    "status_code_and_message", "special_status_message",
    "unimplemented_method", "unimplemented_service",
    "client_compressed_unary", "server_compressed_unary",
    "client_compressed_streaming", "server_compressed_streaming",
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_protos = os.path.normpath(
        os.path.join(here, "..", "..", "..", "..", "shared", "interop",
                     "grpc"))
    if not os.path.isdir(default_protos):
        default_protos = "/work/shared/interop/grpc"
    p = argparse.ArgumentParser(
        description="gRPC interop client (grpcio); see the module docs.")
    p.add_argument("--server_host", required=True)
    p.add_argument("--server_port", type=int, required=True)
    p.add_argument("--test_case", default="all")
    p.add_argument("--use_tls", default="false", choices=["false"],
                   help="plaintext only")
    p.add_argument("--proto_dir", default=default_protos,
                   help="directory with empty.proto and messages.proto")
    p.add_argument("--protoc", default="/usr/bin/protoc")
    args = p.parse_args()
    if args.test_case == "all":
        selected = CASES
    else:
        selected = args.test_case.split(",")
        unknown = [c for c in selected if c not in CASES]
        if unknown:
            p.error(f"unknown test case(s): {', '.join(unknown)}")
    import_messages(args.proto_dir, args.protoc)

    host = args.server_host
    if ":" in host:
        host = f"[{host}]"
    target = f"{host}:{args.server_port}"
    failed = 0
    for name in selected:
        # A channel per case: a case that breaks the connection cannot
        # fail the next one.
        with grpc.insecure_channel(target) as channel:
            try:
                getattr(Client(channel), name)()
                print(f"PASS {name}", flush=True)
            except CaseFailure as f:
                print(f"FAIL {name}: {f}", flush=True)
                failed += 1
            except grpc.RpcError as e:
                print(f"FAIL {name}: unexpected {describe(e)}", flush=True)
                failed += 1
            except Exception as e:  # pylint: disable=broad-except
                print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)
                failed += 1
    print(f"{len(selected) - failed} of {len(selected)} cases passed",
          flush=True)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
