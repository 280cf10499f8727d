"""What both Python ThriftTest peers share: Apache's Python code for the
IDL, generated at run time by Debian's thrift compiler."""

import shutil
import subprocess
import sys
import tempfile


def import_thrift_test(idl, thrift, program):
    """Generates Apache's Python code for `idl` and returns the (service,
    ttypes) modules. The generated package imports everything at import
    time, so its temporary directory can go right after. Exits with a
    message naming `program` if the compiler is missing or fails."""
    compiler = shutil.which(thrift)
    if compiler is None:
        sys.exit(f"{program}: thrift compiler '{thrift}' not found")
    with tempfile.TemporaryDirectory(prefix="ferry-thrifttest-py-") as out:
        # ThriftTest.thrift draws unknown-namespace warnings: show the
        # compiler's output only when it fails.
        run = subprocess.run([compiler, "--gen", "py", "-out", out, idl],
                             capture_output=True, text=True, timeout=60)
        if run.returncode != 0:
            sys.exit(f"{program}: thrift --gen py {idl} failed:\n"
                     f"{run.stdout}{run.stderr}")
        sys.path.insert(0, out)
        try:
            from ThriftTest import ThriftTest, ttypes
        finally:
            sys.path.remove(out)
    return ThriftTest, ttypes
