# -*- coding: utf-8 -*-
# Copyright: (c) 2026, kdebug.toolkit contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Run a command in a container through ``pods/exec``, on a websocket of our own.

Why not ``kubernetes.stream.stream(CoreV1Api.connect_get_namespaced_pod_exec)``:
it needs ``CoreV1Api`` (1-2 s of pydantic models with client 37, see
kube/client.py), and the client's ``create_websocket`` forwards only the
``authorization`` header, so an impersonated caller (Impersonate-User/-Group)
would exec as itself. Here the exec URL is built from the API path, and the
websocket (websocket-client, which the kubernetes client uses too) is opened
with every header KubeClient sends and the TLS options the client's own
``create_websocket`` would use.

Output is read as it arrives and bounded by ``max_output_bytes``; the status
channel is parsed defensively (see results.exit_code_from_status). A timeout
is enforced twice: remotely by wrapping the argv in ``timeout`` (so the
process really dies), and locally by a deadline a little later (so a hung
stream cannot hang the task).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import select
import ssl
import time
from urllib.parse import unquote, urlparse

from ansible_collections.kdebug.toolkit.plugins.module_utils.errors import ApiServerError, ApiUnreachable, MissingLibrary
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.client import KubeClient, join_url, pod_path
from ansible_collections.kdebug.toolkit.plugins.module_utils.kube.failures import Request, http_error, transport_error
from ansible_collections.kdebug.toolkit.plugins.module_utils.results import (
    BoundedOutput, ExecOutcome, exit_code_from_status, was_timed_out)

try:
    from websocket import ABNF, WebSocket, WebSocketBadStatusException, WebSocketException
except ImportError:  # websocket-client comes with kubernetes; the module base reports its absence
    WebSocket = None

    class WebSocketException(Exception):  # type: ignore[no-redef]
        pass

    WebSocketBadStatusException = WebSocketException

try:
    import certifi
except ImportError:
    certifi = None

# Channels of the remotecommand protocol: the first byte of every frame (k8s.io/apimachinery remotecommand).
STDIN_CHANNEL, STDOUT_CHANNEL, STDERR_CHANNEL, ERROR_CHANNEL = 0, 1, 2, 3
CLOSE_CHANNEL = 255  # v5 only: [255, n] says "channel n is closed" (how stdin gets its EOF)
V5_PROTOCOL = "v5.channel.k8s.io"
V4_PROTOCOL = "v4.channel.k8s.io"

# How long after the remote `timeout` fires we give up on the stream ourselves.
LOCAL_GRACE_SECONDS = 10
# Pause between two tries to open an exec the API server refused before anything ran (open_with_retries).
OPEN_RETRY_PAUSE_SECONDS = 1.0
STDIN_CHUNK = 32 * 1024
# The most ExecStream.read() hands over at a time (the API server sends frames of up to 32 KiB or so).
READ_BATCH_BYTES = 256 * 1024


# --- pure helpers -------------------------------------------------------------


def exec_query(container, argv, stdin):
    """The pods/exec query: one ``command`` per argv element, in order; never a tty."""
    return [("command", list(argv)), ("container", container), ("stdin", bool(stdin)), ("stdout", True),
            ("stderr", True), ("tty", False)]


def websocket_url(url):
    """http(s):// -> ws(s)://."""
    if url.startswith("https://"):
        return "wss://" + url[len("https://"):]
    if url.startswith("http://"):
        return "ws://" + url[len("http://"):]
    return url


def exec_url(host, namespace, pod, container, argv, stdin=False):
    return websocket_url(join_url(host, pod_path(namespace, pod, "exec"), exec_query(container, argv, stdin)))


def websocket_ssl_options(configuration, url):
    """websocket-client ``sslopt`` for the configuration: what the client's create_websocket uses.

    Verification (CA file, else certifi's bundle; assert_hostname) only for
    wss with verify_ssl; the client certificate and tls_server_name always.
    """
    if url.startswith("wss://") and configuration.verify_ssl:
        options = {"cert_reqs": ssl.CERT_REQUIRED,
                   "ca_certs": configuration.ssl_ca_cert or (certifi.where() if certifi else None)}
        if getattr(configuration, "assert_hostname", None) is not None:
            options["check_hostname"] = configuration.assert_hostname
    else:
        options = {"cert_reqs": ssl.CERT_NONE}
    if configuration.cert_file:
        options["certfile"] = configuration.cert_file
    if configuration.key_file:
        options["keyfile"] = configuration.key_file
    if getattr(configuration, "tls_server_name", None):
        options["server_hostname"] = configuration.tls_server_name
    return options


def websocket_proxy_options(configuration):
    """websocket-client connect options for the configuration's proxy, no_proxy and proxy credentials."""
    options = {}
    proxy = getattr(configuration, "proxy", None)
    no_proxy = getattr(configuration, "no_proxy", None)
    if no_proxy:
        options["http_no_proxy"] = [h.strip() for h in no_proxy.split(",") if h.strip()]
    if proxy:
        parsed = urlparse(proxy)
        options["http_proxy_host"] = parsed.hostname
        options["http_proxy_port"] = parsed.port
        if parsed.scheme.startswith("socks"):
            options["proxy_type"] = parsed.scheme
        if parsed.username:
            options["http_proxy_auth"] = (unquote(parsed.username), unquote(parsed.password or ""))
    for key, value in (getattr(configuration, "proxy_headers", None) or {}).items():
        if key.lower() == "proxy-authorization" and str(value).startswith("Basic "):
            user, sep, password = base64.b64decode(value.split(None, 1)[1]).decode("utf-8").partition(":")
            if sep:
                options["http_proxy_auth"] = (user, password)
    return options


def parse_status(status_bytes):
    """The error channel's v1 Status as a dict; text that is not JSON becomes a Failure carrying it."""
    if not status_bytes:
        return None
    text = status_bytes.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return {"status": "Failure", "message": text}


# --- the stream ---------------------------------------------------------------


class ExecStream(object):
    """One pods/exec websocket: binary frames whose first byte is the channel."""

    def __init__(self, ws):
        self.ws = ws
        self.subprotocol = (getattr(ws, "subprotocol", None) or "").lower()
        self.connected = True
        self.broken = None  # why the stream ended without the server closing it
        self.write_failed = None

    @classmethod
    def open(cls, client, namespace, pod, container, argv, stdin=False):
        """Connect with the request headers of ``client`` (auth, impersonation); an ApiError when refused.

        Opening (TCP, TLS, the upgrade) and any single send or mid-frame read
        are bounded by the client's request_timeout: a dead API server fails the
        task instead of hanging it.
        """
        # A websocket exec is checked as create (or get, on older servers) on pods/exec: POST words it as create.
        info = Request("POST", pod_path(namespace, pod, "exec"), client.host)
        if WebSocket is None:
            raise MissingLibrary("the websocket-client library is missing: pip install websocket-client "
                                 "(it comes with the kubernetes library)")
        url = exec_url(client.host, namespace, pod, container, argv, stdin)
        headers = client.headers(accept=None)
        ws = WebSocket(sslopt=websocket_ssl_options(client.configuration, url), skip_utf8_validation=False)
        options = dict(header=["%s: %s" % item for item in headers.items()], subprotocols=[V5_PROTOCOL, V4_PROTOCOL],
                       timeout=client.request_timeout)
        options.update(websocket_proxy_options(client.configuration))
        try:
            ws.connect(url, **options)
        except WebSocketBadStatusException as exc:
            # The upgrade was answered with an HTTP error: its body is the API server's v1 Status.
            raise http_error(info, exc.status_code, getattr(exc, "status_message", None) or str(exc),
                             getattr(exc, "resp_body", None), getattr(exc, "resp_headers", None))
        except (WebSocketException, OSError, ValueError) as exc:
            raise transport_error(info, exc, client.request_timeout)
        return cls(ws)

    def write(self, channel, data):
        """Send data on a channel; a failed send is remembered, not raised (see below)."""
        try:
            for start in range(0, len(data), STDIN_CHUNK):
                self.ws.send(bytes([channel]) + data[start:start + STDIN_CHUNK], opcode=ABNF.OPCODE_BINARY)
        except (WebSocketException, OSError) as exc:
            # Typically the command exited without reading all of its input: its output and status may
            # still be waiting to be read, so the stream stays open for read() to drain or to end.
            self.write_failed = str(exc) or exc.__class__.__name__
            return False
        return True

    def close_channel(self, channel):
        """Tell the command its input ended (v5 protocol; v4 has no way to say it)."""
        if self.subprotocol != V5_PROTOCOL:
            return
        self.write(CLOSE_CHANNEL, bytes([channel]))

    def _lost(self, exc):
        self.connected = False
        self.broken = self.write_failed or str(exc) or exc.__class__.__name__

    def _ready(self, timeout):
        sock = self.ws.sock
        if sock is None:
            return False
        # TLS decrypts whole records: frames may already sit in the SSL buffer where poll cannot see them.
        if isinstance(sock, ssl.SSLSocket) and sock.pending():
            return True
        if hasattr(select, "poll"):  # poll, unlike select, has no fd limit of 1024
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(max(timeout, 0) * 1000))
        return bool(select.select([sock], [], [], max(timeout, 0))[0])

    def read(self, timeout):
        """[(channel, bytes)] of the frames available, waiting up to ``timeout`` s for the first one.

        At most READ_BATCH_BYTES are returned at a time: a command that writes
        faster than we read would otherwise keep this loop reading, and every
        frame in memory, until it ends. The caller keeps what it wants of each
        batch (BoundedOutput) and the rest is garbage at once.
        """
        frames = []
        if not self.connected:
            return frames
        ready = self._ready(timeout)
        size = 0
        while ready and size < READ_BATCH_BYTES:
            try:
                opcode, frame = self.ws.recv_data_frame(True)
            except (WebSocketException, OSError) as exc:  # closed without a close frame, or a stalled frame
                self._lost(exc)
                break
            if opcode == ABNF.OPCODE_CLOSE:
                self.connected = False
                break
            data = frame.data if opcode in (ABNF.OPCODE_BINARY, ABNF.OPCODE_TEXT) else None
            if isinstance(data, str):
                data = data.encode("utf-8")
            if data:
                # A v5 close of one of the server's channels carries no data: nothing to keep.
                if not (data[0] == CLOSE_CHANNEL and self.subprotocol == V5_PROTOCOL):
                    frames.append((data[0], data[1:]))
                    size += len(data)
            ready = self._ready(0)
        return frames

    def close(self):
        # After the server's close frame (websocket-client already answered it) or when we give up at our
        # deadline, a close handshake would only wait: drop the connection.
        self.connected = False
        try:
            self.ws.shutdown()
        except (WebSocketException, OSError):
            pass


def open_with_retries(client, namespace, pod, container, argv, stdin):
    """ExecStream.open, tried again for up to the client's request_timeout while the API server is away (the
    connection refused: it restarts) or answers 5xx (it cannot reach the kubelet, etcd is away): in both cases the
    command has not started, so another try cannot run it twice. A timeout is not tried again: the command may
    have started behind it."""
    give_up = time.monotonic() + client.request_timeout
    while True:
        try:
            return ExecStream.open(client, namespace, pod, container, argv, stdin)
        except (ApiUnreachable, ApiServerError):
            if time.monotonic() + OPEN_RETRY_PAUSE_SECONDS >= give_up:
                raise
            time.sleep(OPEN_RETRY_PAUSE_SECONDS)


def exec_in_container(api, namespace, pod, container, argv, stdin=None, timeout=None, max_output_bytes=None):
    """Run argv (already wrapped as needed) and return an ExecOutcome.

    ``api`` is a KubeClient (or an ApiClient). A stream that cannot be opened
    raises the ApiError of kube/failures.py (a 403 classified, no such
    container, no answer); once open, whatever happens is in the outcome.
    """
    client = KubeClient.of(api)
    started = time.monotonic()
    deadline = started + timeout + LOCAL_GRACE_SECONDS if timeout else None
    stdout, stderr = BoundedOutput(max_output_bytes), BoundedOutput(max_output_bytes)
    sinks = {STDOUT_CHANNEL: stdout.write, STDERR_CHANNEL: stderr.write}
    stream = open_with_retries(client, namespace, pod, container, argv, stdin is not None)
    status_bytes = b""
    locally_timed_out = False
    try:
        if stdin is not None:
            if stream.write(STDIN_CHANNEL, stdin.encode("utf-8") if isinstance(stdin, str) else stdin):
                stream.close_channel(STDIN_CHANNEL)
        while stream.connected:
            wait = 1.0
            if deadline is not None:
                wait = min(wait, deadline - time.monotonic())
                if wait <= 0:
                    locally_timed_out = True
                    break
            for channel, data in stream.read(wait):
                if channel == ERROR_CHANNEL:
                    status_bytes += data
                elif channel in sinks:
                    sinks[channel](data)
    finally:
        stream.close()
    rc, error, status = None, None, None
    if not locally_timed_out:
        status = parse_status(status_bytes)
        rc, error = exit_code_from_status(status)
        if rc is None and not status_bytes and stream.broken:
            error = "the exec stream broke before the command ended: %s" % stream.broken
    elapsed = time.monotonic() - started
    timed_out = locally_timed_out or was_timed_out(rc, elapsed, timeout)
    if locally_timed_out:
        error = "no answer from the exec stream %ss after the timeout" % LOCAL_GRACE_SECONDS
    return ExecOutcome(rc, stdout, stderr, error, elapsed, timed_out, status=status)
