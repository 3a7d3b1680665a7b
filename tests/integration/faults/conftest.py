"""Faults for the integration tests of issue 10: every way the API can fail, made for real on this machine.

Connection faults are real sockets next to the lab, reached with the lab's own
credentials (its kubeconfig, through KUBECONFIG) and only the endpoint changed:

- refused: a port bound and not listening (the kernel answers RST);
- unknown host: a name that never resolves;
- black hole: a listener that accepts connections and never says a word;
- not JSON: an HTTPS server (certificate from a CA made here with openssl)
  that answers every request with an HTML login page, as a captive proxy does;
- wrong CA: the lab's own API server, checked against that other CA.

Admission faults are scratch namespaces on the lab: one that enforces
PodSecurity (baseline, restricted) and one whose ResourceQuota allows no more
pods, each with a running pod created before the rule, so the rule refuses
what kdebug would create there and nothing else.

None of these is a stand-in for the API server: the modules meet the real lab
or something that is not an API server at all, which is the fault.
"""
import http.server
import socket
import ssl
import subprocess
import threading

import pytest

from faultlib import Fault, Scratch, compliant, crashed, sleeper

LOGIN_PAGE = (b"<!DOCTYPE html>\n<html><head><title>Sign in - Corporate Access</title></head>\n"
              b"<body><form method=\"post\" action=\"/login\"><input name=\"user\"><input name=\"password\" "
              b"type=\"password\"><button>Sign in</button></form></body></html>\n")


# --- connection faults ------------------------------------------------------------------------------------


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def other_ca(tmp_path_factory):
    """A CA the lab does not know, and a certificate for 127.0.0.1 it signed: {ca, cert, key} paths."""
    where = tmp_path_factory.mktemp("other-ca")
    with open(where / "ca.ext", "w") as handle:
        handle.write("basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
                     "subjectKeyIdentifier=hash\n")
    with open(where / "server.ext", "w") as handle:
        handle.write("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
                     "subjectAltName=IP:127.0.0.1\nauthorityKeyIdentifier=keyid\n")
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
            "ca.key", "-out", "ca.csr", "-subj", "/CN=kdebug faults: not the lab's CA", cwd=where)
    openssl("x509", "-req", "-in", "ca.csr", "-signkey", "ca.key", "-days", "2", "-extfile", "ca.ext",
            "-out", "ca.crt", cwd=where)
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
            "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1", cwd=where)
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days",
            "2", "-extfile", "server.ext", "-out", "server.crt", cwd=where)
    return {name: str(where / ("%s.%s" % (name if name == "ca" else "server", ext)))
            for name, ext in (("ca", "crt"), ("cert", "crt"), ("key", "key"))}


@pytest.fixture(scope="session")
def refused_endpoint():
    """https://127.0.0.1:<port> where the port is taken (bound) and nothing listens: every connect is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield "https://127.0.0.1:%d" % sock.getsockname()[1]


@pytest.fixture(scope="session")
def black_hole():
    """https://127.0.0.1:<port> of a listener that accepts every connection and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    listener.settimeout(0.2)
    held, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:  # the 0.2 s timeout: look at stop again
                continue

    thread = threading.Thread(target=accept, name="black-hole", daemon=True)
    thread.start()
    yield "https://127.0.0.1:%d" % listener.getsockname()[1]
    stop.set()
    thread.join(5)
    for conn in held:
        conn.close()
    listener.close()


class LoginPage(http.server.BaseHTTPRequestHandler):
    """Whatever is asked, the login page (200, text/html): a captive proxy in front of the address."""

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(LOGIN_PAGE)))
        self.end_headers()
        self.wfile.write(LOGIN_PAGE)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = answer

    def log_message(self, *_args):  # quiet
        pass


@pytest.fixture(scope="session")
def login_page(other_ca):
    """https://127.0.0.1:<port> of an HTTPS server (certificate of other_ca) that answers an HTML login page."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), LoginPage)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(other_ca["cert"], other_ca["key"])
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, name="login-page", daemon=True)
    thread.start()
    yield "https://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def lab_server(lab):
    """The lab API server's address, as its kubeconfig names it."""
    return lab.kubectl("config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}").stdout.strip()


@pytest.fixture(scope="session")
def faults(refused_endpoint, black_hole, login_page, lab_server, other_ca):
    """Each connection fault by name."""
    return {
        "refused": Fault("refused", refused_endpoint, "unreachable", ("connection refused", "Check that the API server "
                                                                      "is up")),
        # .invalid never resolves (RFC 2606).
        "unknown_host": Fault("unknown_host", "https://kdebug-faults.invalid:6443", "unreachable",
                              ("cannot resolve", "Check the server address")),
        "black_hole": Fault("black_hole", black_hole, "timeout", ("did not answer", "request_timeout")),
        "not_json": Fault("not_json", login_page, "bad_response", ("text/html", "not the Kubernetes API's JSON",
                                                                   "check host"), ca_cert=other_ca["ca"]),
        "wrong_ca": Fault("wrong_ca", lab_server, "tls", ("certificate verify failed", "set ca_cert"),
                          ca_cert=other_ca["ca"]),
    }


# --- the lab side: scratch namespaces -------------------------------------------------------------------


@pytest.fixture(scope="session")
def scratch(lab):
    """Make Scratch namespaces; all of them are deleted at the end of the session."""
    made = []

    def make(role):
        made.append(Scratch(lab, role))
        return made[-1]
    yield make
    for namespace in made:
        namespace.delete()


@pytest.fixture(scope="session")
def plain(scratch):
    """No rule: the target pod of the connection faults, and of the agent cases (whose agent_namespace has one)."""
    namespace = scratch("plain")
    return namespace.run_pods(sleeper(namespace.name))


@pytest.fixture(scope="session")
def restricted(scratch):
    """PodSecurity enforce=restricted, put on after its pods started: web (runs as root: the label came later) and
    tight (complies)."""
    namespace = scratch("restricted")
    return namespace.run_pods(sleeper(namespace.name), compliant(namespace.name)).enforce("restricted")


@pytest.fixture(scope="session")
def baseline(scratch):
    """PodSecurity enforce=baseline (its pod complies)."""
    namespace = scratch("baseline").enforce("baseline")
    return namespace.run_pods(sleeper(namespace.name))


@pytest.fixture(scope="session")
def no_more_pods(scratch):
    """A ResourceQuota of pods=0, put on after its pods started (a running one, a crashed one)."""
    namespace = scratch("quota")
    return namespace.run_pods(sleeper(namespace.name), crashed(namespace.name)).quota()
