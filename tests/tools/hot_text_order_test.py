#!/usr/bin/env python3
"""tools/hot-text/order.py against a small link map and two callgrind profiles written the way
GNU ld and callgrind write them: which sections count as executed, how each is named for the
linker script, and in which order they are listed."""
import importlib.util
import os
import sys
import tempfile
import unittest

ORDER = os.path.join(os.path.dirname(__file__), "..", "..", "tools", "hot-text", "order.py")
spec = importlib.util.spec_from_file_location("order", ORDER)
order = importlib.util.module_from_spec(spec)
spec.loader.exec_module(order)

BIN = "/build/src/app/aic-proxy"
LOAD = 0x108000  # where valgrind loads a position-independent executable

# One section already in .text.hot_ordered (a previous layout), the rest in .text; a long name
# wrapped onto its own line, as GNU ld prints it.
LINK_MAP = """\
.text.hot_ordered
                0x0000000000001000      0x100
 *(.text._ZN3aic5proxy9forwarder3runEv)
 .text._ZN3aic5proxy9forwarder3runEv
                0x0000000000001000      0x100 src/proxy/libaic_proxy_proxy.a(forwarder.cpp.o)
.text           0x0000000000002000     0x1000
 .text          0x0000000000002000      0x800 /usr/lib/x86_64-linux-gnu/libcrypto.a(libcrypto-lib-e_aes.o)
 .text._ZN3aic3ops7metrics6renderEv
                0x0000000000002800      0x100 src/ops/libaic_proxy_ops.a(metrics.cpp.o)
 .text._ZN3aic3ops7metrics4coldEv
                0x0000000000002900      0x100 src/ops/libaic_proxy_ops.a(metrics.cpp.o)
 .text          0x0000000000002a00       0x40 CMakeFiles/aic-proxy.dir/main.cpp.o
 *fill*         0x0000000000002a40        0x8
"""

SYMBOLS = {
    "_ZN3aic5proxy9forwarder3runEv": 0x1000,
    "aesni_encrypt": 0x2000,
    "_ZN3aic3ops7metrics6renderEv": 0x2800,
    "_ZN3aic3ops7metrics4coldEv": 0x2900,
    "main": 0x2a00,
}

# Start-up: code in .text at link-time addresses; code valgrind does not count as the binary's
# (.text.hot_ordered) under "???" at run-time addresses; and code of some other unknown object
# under "???" that must not be taken for ours although its address would fall in our .text.
START = f"""\
# callgrind format
ob={BIN}
fn=aesni_encrypt
0x2000 12 40
0x2010 12 5
fn=_ZN3aic3ops7metrics6renderEv
0x2800 7 3
calls=1 0x2a00
0x2804 7 900
ob=???
fn=_ZN3aic5proxy9forwarder3runEv
{hex(0x1000 + LOAD)} 3 10
{hex(0x1040 + LOAD)} 3 10
fn=0x0000000000002950
0x2950 0 4
"""

LATER = f"""\
# callgrind format
ob={BIN}
fn=main
0x2a00 1 1
fn=_ZN3aic3ops7metrics6renderEv
0x2800 7 3
"""


class OrderTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.map = self.write("aic-proxy.map", LINK_MAP)
        self.start = self.write("callgrind.out.1", START)
        self.later = self.write("callgrind.out", LATER)

    def tearDown(self):
        self.dir.cleanup()

    def write(self, name, text):
        path = os.path.join(self.dir.name, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_reads_every_code_section_of_the_map(self):
        sections = order.text_input_sections(self.map)
        self.assertEqual([(a, s) for a, s, _, _ in sections],
                         [(0x1000, 0x100), (0x2000, 0x800), (0x2800, 0x100), (0x2900, 0x100), (0x2a00, 0x40)])
        self.assertEqual(sections[0][2], ".text._ZN3aic5proxy9forwarder3runEv")

    def test_addresses_under_unknown_object_are_moved_back_by_the_load_offset(self):
        executed = order.executed_addresses(BIN, self.start, SYMBOLS)
        self.assertIn(0x1000, executed)
        self.assertIn(0x1040, executed)
        self.assertIn(0x2010, executed)
        self.assertNotIn(0x2950, executed, "another object's code was taken for the binary's")

    def test_sections_are_named_as_the_linker_matches_them(self):
        self.assertEqual(order.pattern(".text._ZN3aic1fEv", "src/x/liba.a(f.cpp.o)"), "*(.text._ZN3aic1fEv)")
        self.assertEqual(order.pattern(".text", "/usr/lib/x86_64-linux-gnu/libcrypto.a(libcrypto-lib-e_aes.o)"),
                         "*libcrypto.a:libcrypto-lib-e_aes.o(.text)")
        self.assertEqual(order.pattern(".text", "CMakeFiles/aic-proxy.dir/main.cpp.o"), "*main.cpp.o(.text)")

    def test_start_up_code_first_then_later_code_and_cold_code_left_out(self):
        sections = order.text_input_sections(self.map)
        executed = [order.executed_addresses(BIN, p, SYMBOLS) for p in (self.start, self.later)]
        tiers, hot_bytes = order.layout(sections, executed)
        self.assertEqual(tiers, [
            ["*(.text._ZN3aic3ops7metrics6renderEv)", "*(.text._ZN3aic5proxy9forwarder3runEv)",
             "*libcrypto.a:libcrypto-lib-e_aes.o(.text)"],
            ["*main.cpp.o(.text)"],  # render ran again later but is listed once, with start-up
        ])
        self.assertEqual(hot_bytes, 0x100 + 0x800 + 0x100 + 0x40)


if __name__ == "__main__":
    sys.exit(unittest.main())
