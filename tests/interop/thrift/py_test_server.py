#!/usr/bin/env python3
"""A reference ThriftTest server on Apache Thrift's Python library
(python3-thrift), for ferry's Thrift interop tests.

    py_test_server.py --idl ThriftTest.thrift [--port 0] \
        [--protocol binary|compact] [--transport buffered|framed] \
        [--max-seconds 600]

--idl must be a ThriftTest.thrift that Debian's thrift 0.17 accepts (the
build's uuid-free copy); the Python code is generated from it into a
temporary directory at start-up. Listens on 127.0.0.1 only (--port 0 picks a
free port) and prints `LISTENING <port>` on stdout once connections can be
made. A thread per connection (TThreadedServer): a client may open several.
Exits 0 on SIGTERM or SIGINT, and by itself after --max-seconds (0: never),
so a server whose driver died does not linger.

The handler follows the IDL comments (the interop contract), and Apache's
own Python test server where they leave room:
- testException("TException") raises a plain TException; Apache's Python
  processor turns any undeclared exception into an EXCEPTION reply,
  TApplicationException(INTERNAL_ERROR, "Internal error"), and logs a
  traceback on stderr. (Apache's C++ server sends type UNKNOWN with the
  exception's text instead; a client should accept any
  TApplicationException.)
- testOneway(n) sleeps n seconds in the handler, which holds up later calls
  on the same connection (not other connections), but sends no reply.
- testInsanity's empty Insanity is sent with its empty fields written, as
  Apache's C++ server does.
"""

import argparse
import os
import signal
import sys
import threading
import time

from thrift.Thrift import TException
from thrift.protocol import TBinaryProtocol, TCompactProtocol
from thrift.server import TServer
from thrift.transport import TSocket, TTransport

from thrift_test_gen import import_thrift_test


def make_handler(tt):
    class Handler:
        def testVoid(self):
            pass

        def _echo(self, thing):
            return thing

        testString = testBool = testByte = testI32 = testI64 = _echo
        testDouble = testBinary = testStruct = testNest = testMap = _echo
        testStringMap = testSet = testList = testEnum = testTypedef = _echo

        def testMapMap(self, hello):
            return {-4: {-4: -4, -3: -3, -2: -2, -1: -1},
                    4: {1: 1, 2: 2, 3: 3, 4: 4}}

        def testInsanity(self, argument):
            return {1: {tt.Numberz.TWO: argument, tt.Numberz.THREE: argument},
                    2: {tt.Numberz.SIX: tt.Insanity(userMap={}, xtructs=[])}}

        def testMulti(self, arg0, arg1, arg2, arg3, arg4, arg5):
            return tt.Xtruct(string_thing="Hello2", byte_thing=arg0,
                             i32_thing=arg1, i64_thing=arg2)

        def testException(self, arg):
            if arg == "Xception":
                raise tt.Xception(errorCode=1001, message=arg)
            if arg == "TException":
                raise TException(message="This is a TException")

        def testMultiException(self, arg0, arg1):
            if arg0 == "Xception":
                raise tt.Xception(errorCode=1001, message="This is an Xception")
            if arg0 == "Xception2":
                raise tt.Xception2(
                    errorCode=2002,
                    struct_thing=tt.Xtruct(string_thing="This is an Xception2"))
            return tt.Xtruct(string_thing=arg1)

        def testOneway(self, secondsToSleep):
            time.sleep(secondsToSleep)

    return Handler()


class ListenOnceSocket(TSocket.TServerSocket):
    """TServer.serve() calls listen() itself; listening earlier (to learn
    the port --port 0 picked before printing it) must not open a second
    socket."""

    def listen(self):
        if self.handle is None:
            super().listen()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=9090,
                        help="0 picks a free port")
    parser.add_argument("--protocol", choices=("binary", "compact"),
                        default="binary")
    parser.add_argument("--transport", choices=("buffered", "framed"),
                        default="buffered")
    parser.add_argument("--idl", required=True,
                        help="ThriftTest.thrift without uuid")
    parser.add_argument("--thrift", default="thrift",
                        help="Apache's thrift compiler (default: from PATH)")
    parser.add_argument("--max-seconds", type=float, default=600,
                        help="exit after this long (0: run until signalled)")
    args = parser.parse_args()

    service, ttypes = import_thrift_test(args.idl, args.thrift, "py_test_server")
    if args.protocol == "compact":
        pfactory = TCompactProtocol.TCompactProtocolFactory()
    else:
        pfactory = TBinaryProtocol.TBinaryProtocolFactory()
    if args.transport == "framed":
        tfactory = TTransport.TFramedTransportFactory()
    else:
        tfactory = TTransport.TBufferedTransportFactory()

    # SystemExit raised in the main thread interrupts accept() in serve();
    # connection threads are daemons and die with the process.
    def stop(signum, frame):
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.max_seconds > 0:
        # Process-directed, so Linux hands it to the main thread (blocked
        # in accept), as it does a SIGTERM from outside.
        timer = threading.Timer(
            args.max_seconds, lambda: os.kill(os.getpid(), signal.SIGTERM))
        timer.daemon = True
        timer.start()

    sock = ListenOnceSocket(host="127.0.0.1", port=args.port)
    sock.listen()
    server = TServer.TThreadedServer(
        service.Processor(make_handler(ttypes)), sock, tfactory, pfactory,
        daemon=True)
    print(f"LISTENING {sock.handle.getsockname()[1]}", flush=True)
    server.serve()


if __name__ == "__main__":
    sys.exit(main())
