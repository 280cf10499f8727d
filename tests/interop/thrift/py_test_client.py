#!/usr/bin/env python3
"""A reference ThriftTest client on Apache Thrift's Python library
(python3-thrift), for ferry's Thrift interop tests.

    py_test_client.py --idl ThriftTest.thrift --port 9090 \
        [--host 127.0.0.1] [--protocol binary|compact] \
        [--transport buffered|framed] [--timeout 10]

--idl must be a ThriftTest.thrift that Debian's thrift 0.17 accepts (the
build's uuid-free copy); the Python code is generated from it into a
temporary directory at start-up. Calls every ThriftTest method and checks
the result against the IDL comments (the interop contract), printing one
line per method on stdout: `PASS name` or `FAIL name: why`. Exits 0 only if
every method passed.

Stricter than Apache's own test client in two ways: every call carries a
fresh sequence id and the reply must echo it and the method name (Apache's
Python client always sends 0 and checks neither), and a call expected to
raise an exception fails if it returns normally. A failure that leaves the
connection unusable (transport or protocol error) reconnects for the next
method, so one broken method does not hide the state of the others.
"""

import argparse
import math
import sys
import time

from thrift.Thrift import TApplicationException, TException, TMessageType
from thrift.protocol import TBinaryProtocol, TCompactProtocol
from thrift.protocol.TProtocol import TProtocolException
from thrift.transport import TSocket, TTransport

from thrift_test_gen import import_thrift_test


class SeqidCheckingProtocol:
    """Wraps a protocol: numbers calls itself and requires each reply to
    carry the call's method name and sequence id (an Apache-style server
    echoes both). Everything else is delegated."""

    def __init__(self, inner):
        self._inner = inner
        self._seqid = 0x1000  # not 0: a server that never echoes shows up
        self._expected = None

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def writeMessageBegin(self, name, mtype, seqid):
        self._seqid += 1
        if mtype != TMessageType.ONEWAY:
            self._expected = (name, self._seqid)
        self._inner.writeMessageBegin(name, mtype, self._seqid)

    def readMessageBegin(self):
        name, mtype, seqid = self._inner.readMessageBegin()
        expected, self._expected = self._expected, None
        if expected is None:
            raise TProtocolException(TProtocolException.INVALID_DATA,
                                     f"reply '{name}' with no call outstanding")
        if (name, seqid) != expected:
            raise TProtocolException(
                TProtocolException.INVALID_DATA,
                f"reply '{name}' seqid {seqid} to call '{expected[0]}' "
                f"seqid {expected[1]}")
        return name, mtype, seqid


class CheckFailed(Exception):
    pass


def short(value, limit=160):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def expect_eq(what, got, want):
    if got != want:
        raise CheckFailed(f"{what}: got {short(got)}, want {short(want)}")


def expect_raises(what, call, exc_type):
    """Runs `call`, which must raise `exc_type`; returns the exception."""
    try:
        got = call()
    except exc_type as e:
        return e
    raise CheckFailed(f"{what}: returned {short(got)}, want "
                      f"{exc_type.__name__}")


def build_checks(tt):
    """(method, check) pairs; a check takes the client and raises
    CheckFailed (or a Thrift error) on failure."""
    Xtruct, Xtruct2, Insanity = tt.Xtruct, tt.Xtruct2, tt.Insanity
    Numberz = tt.Numberz

    def echo(method, values):
        def check(c):
            for v in values:
                expect_eq(f"{method}({short(v, 40)})", getattr(c, method)(v), v)
        return check

    def test_void(c):
        expect_eq("testVoid()", c.testVoid(), None)

    def test_double(c):
        for v in (0.0, -0.0, 1.5, -5.235098235, 5e-324, 1.7976931348623157e308,
                  math.inf, -math.inf):
            got = c.testDouble(v)
            # == would accept 0.0 for -0.0: compare signs too.
            if got != v or math.copysign(1, got) != math.copysign(1, v):
                raise CheckFailed(f"testDouble({v!r}): got {got!r}")
        got = c.testDouble(math.nan)
        if not math.isnan(got):
            raise CheckFailed(f"testDouble(nan): got {got!r}")

    def test_mapmap(c):
        expect_eq("testMapMap(1)", c.testMapMap(1),
                  {-4: {-4: -4, -3: -3, -2: -2, -1: -1},
                   4: {1: 1, 2: 2, 3: 3, 4: 4}})

    def insanity_key(i):
        # A server may send the empty Insanity with or without its (empty)
        # fields: Python reads None for absent ones.
        return (dict(i.userMap or {}), list(i.xtructs or []))

    def test_insanity(c):
        arg = Insanity(userMap={Numberz.FIVE: 5, Numberz.EIGHT: 8},
                       xtructs=[Xtruct("Goodbye4", 4, 4, 4),
                                Xtruct("Hello2", 2, 2, 2)])
        got = c.testInsanity(arg)
        want = {1: {Numberz.TWO: arg, Numberz.THREE: arg},
                2: {Numberz.SIX: Insanity()}}
        norm = {k: {n: insanity_key(i) for n, i in v.items()}
                for k, v in (got or {}).items()}
        expect_eq("testInsanity", norm,
                  {k: {n: insanity_key(i) for n, i in v.items()}
                   for k, v in want.items()})

    def test_multi(c):
        got = c.testMulti(74, 0xff00ff, 0xffffffffd0d0, {0: "abc", -1: "x"},
                          Numberz.FIVE, 0xf0f0f0)
        expect_eq("testMulti", got,
                  Xtruct("Hello2", 74, 0xff00ff, 0xffffffffd0d0))

    def test_exception(c):
        e = expect_raises("testException('Xception')",
                          lambda: c.testException("Xception"), tt.Xception)
        expect_eq("Xception", (e.errorCode, e.message), (1001, "Xception"))
        # Undeclared exceptions reach the client as TApplicationException
        # (an EXCEPTION message); the connection stays usable.
        expect_raises("testException('TException')",
                      lambda: c.testException("TException"),
                      TApplicationException)
        expect_eq("testException('success')", c.testException("success"), None)
        expect_eq("testException('Safe')", c.testException("Safe"), None)

    def test_multi_exception(c):
        e = expect_raises("testMultiException('Xception', ...)",
                          lambda: c.testMultiException("Xception", "a"),
                          tt.Xception)
        expect_eq("Xception", (e.errorCode, e.message),
                  (1001, "This is an Xception"))
        e = expect_raises("testMultiException('Xception2', ...)",
                          lambda: c.testMultiException("Xception2", "b"),
                          tt.Xception2)
        expect_eq("Xception2",
                  (e.errorCode, e.struct_thing and e.struct_thing.string_thing),
                  (2002, "This is an Xception2"))
        expect_eq("testMultiException('success', 'foobar')",
                  c.testMultiException("success", "foobar").string_thing,
                  "foobar")

    def test_oneway(c):
        start = time.monotonic()
        c.testOneway(1)
        took = time.monotonic() - start
        if took >= 1.0:
            raise CheckFailed(f"testOneway(1) took {took:.3f} s: the client "
                              "waited for the server's 1 s sleep")
        # No reply may follow a oneway call: the next replies must match
        # their calls (the seqid check would catch a stray one).
        expect_eq("testVoid() after testOneway", c.testVoid(), None)
        expect_eq("testI32(-1) after testOneway", c.testI32(-1), -1)

    unicode_1 = '\b\t\n/\\\\\r{}:パイソン"'
    unicode_2 = "Afrikaans, Aragonés, العربية, Беларуская, বাংলা, 中文, 日本語, 한국어, ไทย, 🦀"
    return [
        ("testVoid", test_void),
        ("testString", echo("testString", [
            "", "Hello World", unicode_1, unicode_2, "Python" * 20,
            "x" * 70000])),  # several reads/frames' worth on any transport
        ("testBool", echo("testBool", [True, False])),
        ("testByte", echo("testByte", [0, 1, -1, 63, 127, -128])),
        ("testI32", echo("testI32", [0, -1, 1, 2**31 - 1, -2**31])),
        ("testI64", echo("testI64", [0, -1, 1, -34359738368, 2**63 - 1,
                                     -2**63])),
        ("testDouble", test_double),
        ("testBinary", echo("testBinary", [bytes(range(256)), b""])),
        ("testStruct", echo("testStruct", [Xtruct("Zero", 1, -3, -5),
                                           Xtruct("", 0, 0, 0)])),
        ("testNest", echo("testNest", [
            Xtruct2(1, Xtruct("Zero", 1, -3, -5), 5)])),
        ("testMap", echo("testMap", [{0: 1, 1: 2, 2: 3, 3: 4, -1: -2}, {}])),
        ("testStringMap", echo("testStringMap", [
            {"a": "2", "b": "blah", "some": "thing", "パイソン": "🦀"}, {}])),
        ("testSet", echo("testSet", [{8, 1, 42, -5}, set()])),
        ("testList", echo("testList", [[1, 4, 9, -42, 1], []])),
        ("testEnum", echo("testEnum", [tt.Numberz.ONE, tt.Numberz.TWO,
                                       tt.Numberz.THREE, tt.Numberz.FIVE,
                                       tt.Numberz.SIX, tt.Numberz.EIGHT])),
        ("testTypedef", echo("testTypedef", [0xffffffffffffff, -1])),
        ("testMapMap", test_mapmap),
        ("testInsanity", test_insanity),
        ("testMulti", test_multi),
        ("testException", test_exception),
        ("testMultiException", test_multi_exception),
        ("testOneway", test_oneway),
    ]


class Connection:
    def __init__(self, args, service):
        self._args = args
        self._service = service
        self.transport = None
        self.client = None

    def open(self):
        sock = TSocket.TSocket(self._args.host, self._args.port)
        sock.setTimeout(self._args.timeout * 1000)  # connect and every read
        if self._args.transport == "framed":
            self.transport = TTransport.TFramedTransport(sock)
        else:
            self.transport = TTransport.TBufferedTransport(sock)
        if self._args.protocol == "compact":
            proto = TCompactProtocol.TCompactProtocol(self.transport)
        else:
            proto = TBinaryProtocol.TBinaryProtocol(self.transport)
        self.transport.open()
        self.client = self._service.Client(SeqidCheckingProtocol(proto))

    def close(self):
        if self.transport is not None:
            try:
                self.transport.close()
            except Exception:
                pass
        self.transport = self.client = None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9090)
    parser.add_argument("--protocol", choices=("binary", "compact"),
                        default="binary")
    parser.add_argument("--transport", choices=("buffered", "framed"),
                        default="buffered")
    parser.add_argument("--idl", required=True,
                        help="ThriftTest.thrift without uuid")
    parser.add_argument("--thrift", default="thrift",
                        help="Apache's thrift compiler (default: from PATH)")
    parser.add_argument("--timeout", type=float, default=10,
                        help="seconds any connect or reply may take")
    args = parser.parse_args()

    service, ttypes = import_thrift_test(args.idl, args.thrift, "py_test_client")
    conn = Connection(args, service)
    failed = 0
    checks = build_checks(ttypes)
    for name, check in checks:
        try:
            if conn.client is None:
                conn.open()
            check(conn.client)
            print(f"PASS {name}", flush=True)
            continue
        except CheckFailed as e:
            why = str(e)
        except TApplicationException as e:
            # The server answered with an error: the connection is fine.
            why = f"TApplicationException type {e.type}: {e.message}"
        except (TTransport.TTransportException, TProtocolException,
                OSError) as e:
            why = f"{type(e).__name__}: {e}"
            conn.close()
        except TException as e:  # a declared exception, unexpected here
            why = f"unexpected {type(e).__name__}: {e}"
        except Exception as e:  # undecodable data, ...
            why = f"{type(e).__name__}: {e}"
            conn.close()
        failed += 1
        print(f"FAIL {name}: {why}", flush=True)
    conn.close()
    print(f"py_test_client: {len(checks) - failed}/{len(checks)} methods "
          f"passed ({args.protocol}, {args.transport})", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
