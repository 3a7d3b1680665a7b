# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The HTML report in a real browser: the report role writes it, headless chromium opens it.

One ansible-playbook run (report_playbook.yml) writes two reports, browser/report.html (one pod) and
fleet/report.html (many pods); one chromium run each dumps the DOM it parsed (report.dom.html) and takes
a 1280x900 screenshot (report.png), both next to the report. The tests then look at what the browser
made of the page: the verdict, the cause and the next steps come first, then the table of failures and
errors, each with its status, and the passing and skipped checks are folded (a closed <details>: no
pass colour anywhere on the screen); nothing injected became an element; the fleet's problems are
grouped with counts per namespace and node and its healthy pods are folded away. The colours are read
from the CSS of roles/report/templates/report.html.j2.

Run through scripts/test-browser, which installs Debian's chromium when it is missing and keeps
the output in tests/output/browser/. KDEBUG_CHROMIUM names another Chromium binary.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import shutil
import struct
import subprocess
import sys
import zlib

from collections import Counter
from html.parser import HTMLParser

import pytest
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
PLAYBOOK = os.path.join(HERE, "report_playbook.yml")
HTML_TEMPLATE = os.path.join(ROOT, "roles", "report", "templates", "report.html.j2")
WIDTH, HEIGHT = 1280, 900


# ---------------------------------------------------------------------------- inputs

def _play_vars():
    with open(PLAYBOOK, encoding="utf-8") as f:
        return yaml.safe_load(f)[0]["vars"]


CHECKS = _play_vars()["browser_checks"]
TITLE = _play_vars()["browser_title"]
HANDOFF = _play_vars()["browser_handoff"]
FLEET_SIZE = _play_vars()["browser_fleet_size"]
FLEET_BROKEN = _play_vars()["browser_fleet_broken"]
STATUS_ORDER = ("fail", "error", "pass", "skipped")
# What the report lists first: failures and errors, each in their own order; then the rest, folded.
PROBLEMS = [c for s in STATUS_ORDER[:2] for c in CHECKS if c["status"] == s]
OTHERS = [c for s in STATUS_ORDER[2:] for c in CHECKS if c["status"] == s]


def _css_colours():
    """{'pass': (r, g, b), ..., 'th': ..., 'border': ...} from the CSS of the HTML template."""
    with open(HTML_TEMPLATE, encoding="utf-8") as f:
        source = f.read()
    found = dict((status, m) for status, m in re.findall(r"\.status-(\w+) \{ background: #([0-9a-fA-F]{6}); \}", source))
    th = re.search(r"table\.summary th \{ background: #([0-9a-fA-F]{6}); \}", source)
    border = re.search(r"table\.summary th, table\.summary td \{ border: 1px solid #([0-9a-fA-F]{6});", source)
    assert sorted(found) == ["error", "fail", "pass", "skipped"] and th and border, (
        "the status, table header or table border colours are no longer where this test reads them in %s" % HTML_TEMPLATE)
    found.update(th=th.group(1), border=border.group(1))
    return dict((k, tuple(bytearray.fromhex(v))) for k, v in found.items())


def target_label(target):
    """What the report shows in the Target column (plugins/filter/report.py target_label)."""
    if target is None:
        return ""
    if not isinstance(target, dict):
        return str(target)
    if not target.get("pod") and target.get("node"):
        return "node/" + target["node"]
    return "/".join(str(target[k]) for k in ("namespace", "pod", "container") if target.get(k))


# ---------------------------------------------------------------------------- running things

def _chromium():
    path = os.environ.get("KDEBUG_CHROMIUM") or shutil.which("chromium")
    if not path:
        pytest.fail("chromium is not installed: run scripts/test-browser (it installs Debian's chromium), "
                    "or set KDEBUG_CHROMIUM to a Chromium binary")
    return path


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """{name: report.html} written by the report role (ansible-playbook on localhost), each in its own directory."""
    out = tmp_path_factory.mktemp("report")
    playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    env = dict(os.environ)
    env.update({
        "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(ROOT, ".collections"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
        "ANSIBLE_LOCAL_TEMP": str(tmp_path_factory.mktemp("ansible-tmp")),
    })
    cmd = [playbook, PLAYBOOK, "-e", "ansible_python_interpreter=%s" % sys.executable,
           "-e", "browser_output_dir=%s" % out]
    proc = subprocess.run(cmd, cwd=str(out), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout
    found = {}
    for name in ("browser", "fleet"):
        html = out / name / "report.html"
        assert html.is_file(), proc.stdout
        found[name] = html
    return found


def _open(report, tmp_path_factory):
    """One headless chromium run on report.html: (the DOM it dumped, the path of its screenshot)."""
    png = report.with_name("report.png")
    log = report.with_name("chromium.log")
    cmd = [_chromium(), "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
           "--user-data-dir=%s" % tmp_path_factory.mktemp("chromium-profile"),
           "--window-size=%d,%d" % (WIDTH, HEIGHT), "--screenshot=%s" % png, "--dump-dom", report.as_uri()]
    with open(str(log), "wb") as err:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=err, timeout=90, check=False)
    with open(str(log), "rb") as f:
        tail = f.read()[-3000:].decode("utf-8", "replace")
    assert proc.returncode == 0, "%s exited %d; %s ends:\n%s" % (cmd[0], proc.returncode, log, tail)
    dom = proc.stdout.decode("utf-8")
    report.with_name("report.dom.html").write_text(dom, encoding="utf-8")
    assert dom.strip(), "chromium dumped no DOM; %s ends:\n%s" % (log, tail)
    assert png.is_file(), "chromium wrote no screenshot; %s ends:\n%s" % (log, tail)
    sys.stderr.write("\nreport, screenshot and DOM: %s\n" % report.parent)
    return dom, png


@pytest.fixture(scope="module")
def browser(reports, tmp_path_factory):
    """The one-pod report in chromium: (DOM, screenshot path)."""
    return _open(reports["browser"], tmp_path_factory)


@pytest.fixture(scope="module")
def fleet_browser(reports, tmp_path_factory):
    """The fleet report in chromium: (DOM, screenshot path)."""
    return _open(reports["fleet"], tmp_path_factory)


# ---------------------------------------------------------------------------- the DOM as chromium serialised it

VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())


class Element(object):
    def __init__(self, tag, attrs):
        self.tag = tag
        self.attrs = dict(attrs)
        self.children = []

    def iter(self, tag=None):
        if tag is None or self.tag == tag:
            yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter(tag)

    def text(self):
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def find_all(self, tag):
        return [e for e in self.iter(tag) if e is not self]

    def classes(self):
        return self.attrs.get("class", "").split()


class _TreeBuilder(HTMLParser):
    """A tree of chromium's serialisation (outerHTML closes every non-void element, so a stack is enough)."""

    def __init__(self):
        HTMLParser.__init__(self, convert_charrefs=True)
        self.root = Element("#document", [])
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, attrs)
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Element(tag, attrs))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        assert self.stack[-1].tag == tag, "unbalanced </%s> in the dumped DOM (open: %s)" % (
            tag, [e.tag for e in self.stack])
        self.stack.pop()

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse_dom(text):
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


# ---------------------------------------------------------------------------- the screenshot

def read_png(path):
    """(width, height, rows): each row a bytes of RGB triplets. 8-bit RGB or RGBA, non-interlaced."""
    with open(str(path), "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "%s is not a PNG" % path
    pos, header, idat = 8, None, []
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, colour_type, _compression, _filter, interlace = header
    assert depth == 8 and colour_type in (2, 6) and not interlace, "unexpected PNG format %r" % (header,)
    bpp = 3 if colour_type == 2 else 4
    stride = width * bpp
    raw = zlib.decompress(b"".join(idat))
    assert len(raw) == height * (stride + 1), "truncated PNG data"
    rows = []
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:  # Sub
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:  # Up
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev))
        elif kind == 3:  # Average
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:  # Paeth
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        else:
            assert kind == 0, "bad PNG filter type %d in row %d" % (kind, y)
        prev = line
        if bpp == 4:
            line = bytearray(b for i, b in enumerate(line) if i % 4 != 3)
        rows.append(bytes(line))
    return width, height, rows


def row_colours(row):
    """Counter of (r, g, b) -> pixels in one decoded row."""
    return Counter(row[i:i + 3] for i in range(0, len(row), 3))


def count_like(counter, rgb, tolerance=2):
    """Pixels of a row's Counter within ``tolerance`` of ``rgb`` on every channel."""
    return sum(n for colour, n in counter.items() if all(abs(c - w) <= tolerance for c, w in zip(bytearray(colour), rgb)))


@pytest.fixture(scope="module")
def screenshot(browser):
    width, height, rows = read_png(browser[1])
    return width, height, [row_colours(r) for r in rows]


# ---------------------------------------------------------------------------- DOM tests

def _by_id(doc, ident):
    found = [e for e in doc.iter() if e.attrs.get("id") == ident]
    assert len(found) == 1, "%d elements with id %s" % (len(found), ident)
    return found[0]


def test_the_verdict_comes_first(browser):
    doc = parse_dom(browser[0])
    body = doc.find_all("body")[0]
    order = [e.attrs.get("id") for e in body.iter() if e.tag in ("section", "table", "details")]
    assert order[:3] == ["verdict", "summary", "check-1"], order
    assert _by_id(doc, "verdict").classes() == ["verdict", "verdict-broken"]
    assert _by_id(doc, "verdict-word").text() == "broken"
    first_failure = next(c for c in CHECKS if c["status"] == "fail")
    assert _by_id(doc, "cause").text() == first_failure["summary"]
    steps = _by_id(doc, "next-steps").find_all("li")
    assert steps and all(step.text().strip() for step in steps)
    handoff = _by_id(doc, "handoff")
    assert [pre.text() for pre in handoff.find_all("pre")] == [h["command"] for h in HANDOFF]
    assert HANDOFF[0]["hint"] in handoff.text()


def test_failures_and_errors_first_with_their_status(browser):
    doc = parse_dom(browser[0])
    table = _by_id(doc, "summary")
    assert table is doc.find_all("table")[0] and "summary" in table.classes()
    assert [th.text() for th in table.find_all("th")] == ["Check", "Target", "Status", "Summary"]
    rows = table.find_all("tbody")[0].find_all("tr")
    assert len(rows) == len(PROBLEMS)
    for row, check in zip(rows, PROBLEMS):
        cells = row.find_all("td")
        assert [c.text() for c in cells] == [check["name"], target_label(check.get("target")), check["status"],
                                             check["summary"]], check["name"]
        assert row.classes() == ["row-" + check["status"]]
        badges = cells[2].find_all("span")
        assert len(badges) == 1 and badges[0].classes() == ["status", "status-" + check["status"]]
        links = cells[0].find_all("a")
        assert len(links) == 1 and links[0].attrs["href"] == "#check-%d" % (CHECKS.index(check) + 1)
    # every check has its section: the problems' outside the fold, the others' inside it
    sections = [s.attrs["id"] for s in doc.find_all("section") if "check" in s.classes()]
    assert sections == ["check-%d" % (CHECKS.index(c) + 1) for c in PROBLEMS + OTHERS]


def test_the_rest_is_folded(browser):
    doc = parse_dom(browser[0])
    others = _by_id(doc, "others")
    assert others.tag == "details" and "open" not in others.attrs
    assert others.find_all("summary")[0].text() == "Passed and skipped (%d)" % len(OTHERS)
    rows = _by_id(doc, "others-table").find_all("tbody")[0].find_all("tr")
    assert [r.find_all("td")[0].text() for r in rows] == [c["name"] for c in OTHERS]
    folded = [s.attrs["id"] for s in others.find_all("section")]
    assert folded == ["check-%d" % (CHECKS.index(c) + 1) for c in OTHERS]


def test_overall_status(browser):
    doc = parse_dom(browser[0])
    overall = _by_id(doc, "overall")
    statuses = [c["status"] for c in CHECKS]
    assert overall.find_all("span")[0].text() == "fail"
    assert "%d checks: %d pass, %d fail, %d error" % (
        len(CHECKS), statuses.count("pass"), statuses.count("fail"), statuses.count("error")) in overall.text()


def test_fleet_groups_the_failure_and_folds_the_healthy_pods(fleet_browser):
    doc = parse_dom(fleet_browser[0])
    assert _by_id(doc, "verdict-word").text() == "broken"
    assert _by_id(doc, "cause").text() == "nameserver 10.96.0.10 does not answer (and the same check in %d more " \
        "of %d targets)" % (len(FLEET_BROKEN) - 1, FLEET_SIZE)
    groups = _by_id(doc, "groups")
    assert groups is doc.find_all("table")[0]
    [row] = groups.find_all("tbody")[0].find_all("tr")
    cells = [td.text() for td in row.find_all("td")]
    namespaces = dict((ns, sum(1 for i in FLEET_BROKEN if ("shop" if i % 2 else "web") == ns)) for ns in ("shop", "web"))
    nodes = dict(("node-%d" % n, sum(1 for i in FLEET_BROKEN if i % 3 == n)) for n in range(3))
    assert cells[:3] == ["fail", "DNS nameserver 10.96.0.10", str(len(FLEET_BROKEN))]
    for name, count in list(namespaces.items()) + list(nodes.items()):
        if count:
            assert "%s: %d" % (name, count) in cells[3] + cells[4]
    healthy = _by_id(doc, "healthy-targets")
    assert healthy.tag == "details" and "open" not in healthy.attrs
    expected = sorted("%s/pod-%02d" % ("shop" if i % 2 else "web", i) for i in range(FLEET_SIZE) if i not in FLEET_BROKEN)
    assert [li.text() for li in healthy.find_all("li")] == expected
    assert healthy.find_all("summary")[0].text() == "%d healthy targets" % len(expected)


def test_injected_markup_stayed_text(browser):
    doc = parse_dom(browser[0])
    for tag in ("script", "img", "b"):
        assert not doc.find_all(tag), "the report's check text became a <%s> element" % tag
    # the injected script would have set the title, had it run
    assert [t.text() for t in doc.find_all("title")] == [TITLE]
    assert [h.text() for h in doc.find_all("h1")] == [TITLE]
    injected = [c for c in CHECKS if "<script>" in c["name"]]
    assert injected, "report_playbook.yml lost its HTML-injection check"
    names = [a.text() for a in _by_id(parse_dom(browser[0]), "summary").find_all("a")]
    assert injected[0]["name"] in names


def test_unicode_survives_the_browser(browser):
    texts = "".join(t.text() for t in parse_dom(browser[0]).find_all("table"))
    for check in CHECKS:
        for value in (check["name"], check["summary"]):
            if any(ord(ch) > 127 for ch in value):
                assert value in texts


# ---------------------------------------------------------------------------- screenshot tests

def test_screenshot_size_and_not_blank(screenshot):
    width, height, rows = screenshot
    assert (width, height) == (WIDTH, HEIGHT)
    total = Counter()
    for row in rows:
        total.update(row)
    white = total.get(b"\xff\xff\xff", 0)
    assert len(total) >= 20, "only %d distinct colours: %r" % (len(total), total.most_common(5))
    assert white < width * height * 0.97, "the page is almost all white"


def _horizontal_lines(rows, rgb, width, start=0):
    """Row indexes (from ``start``) where ``rgb`` covers most of the width; adjacent rows count once."""
    lines = []
    for y in range(max(start, 0), len(rows)):
        if count_like(rows[y], rgb) < width * 0.6:
            continue
        if lines and lines[-1][1] == y - 1:
            lines[-1][1] = y
        else:
            lines.append([y, y])
    return [y for y, _end in lines]


def test_screenshot_shows_the_verdict_then_the_problems_and_no_pass(screenshot):
    """In the first screen: the verdict's fail-coloured border, then the table header and one row per failing
    or erroring check showing its status colour; nothing in the pass colour (the passing checks are folded)."""
    width, height, rows = screenshot
    colours = _css_colours()
    header = [y for y in range(height) if count_like(rows[y], colours["th"]) >= width * 0.6]
    assert header, "no table header row (background #%02x%02x%02x) in the screenshot" % colours["th"]
    assert header[0] < height * 0.9, "the table of problems does not start on the first screen (y=%d)" % header[0]
    # border lines: above the header, below it, below each problem's row
    lines = _horizontal_lines(rows, colours["border"], width, start=header[0] - 3)
    assert len(lines) >= len(PROBLEMS) + 2, "table borders at %r" % lines
    lines = lines[:len(PROBLEMS) + 2]
    assert lines[0] < header[0] < lines[1]
    shown = []
    for top, bottom in zip(lines[1:], lines[2:]):
        found = Counter()
        for y in range(top + 1, bottom):
            for status in ("pass", "fail", "error", "skipped"):
                found[status] += count_like(rows[y], colours[status])
        status, pixels = found.most_common(1)[0]
        shown.append(status if pixels >= 100 else None)
    assert shown == [c["status"] for c in PROBLEMS], "status colours per table row, top to bottom"
    # above the table: the verdict's border and the overall badge, in the fail colour
    above = sum(count_like(rows[y], colours["fail"]) for y in range(lines[0]))
    assert above >= 1000, "no broken verdict above the table"
    passing = sum(count_like(row, colours["pass"]) for row in rows)
    assert passing < 20, "%d pixels in the pass colour: the passing checks are not folded" % passing


def test_fleet_screenshot_has_no_pass_colour(fleet_browser):
    width, height, rows = read_png(fleet_browser[1])
    colours = _css_colours()
    counted = [row_colours(r) for r in rows]
    assert sum(count_like(row, colours["fail"]) for row in counted) >= 1000
    assert sum(count_like(row, colours["pass"]) for row in counted) < 20
