"""A minimal Chrome DevTools Protocol client over Debian's headless Chromium (test helper).

Starts `chromium --headless` with a private profile, attaches to one page over the browser's
websocket (flattened sessions) and offers navigate / evaluate / screenshot. No network: the
browser is started with its background services off and only opens the URL it is given.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

_FLAGS = (
    "--headless",
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--hide-scrollbars",
    "--mute-audio",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--remote-debugging-port=0",
    "--autoplay-policy=no-user-gesture-required",
)


def chromium_path() -> str | None:
    """Debian's Chromium, if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Chromium:
    """One headless Chromium process and one attached page; use as a context manager."""

    def __init__(self, binary: str, width: int = 1366, height: int = 900) -> None:
        self._profile = tempfile.TemporaryDirectory(prefix="bp-chromium-")
        self._process = subprocess.Popen(
            [
                binary,
                *_FLAGS,
                f"--user-data-dir={self._profile.name}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,  # dbus noise on a bare machine; nothing to read there
        )
        self._ids = itertools.count(1)
        self._resources = contextlib.ExitStack()
        self._session: str | None = None
        try:
            self._socket: ClientConnection = self._resources.enter_context(
                connect(self._endpoint(), max_size=None)
            )
            target = self._call("Target.createTarget", url="about:blank")["targetId"]
            attached = self._call("Target.attachToTarget", targetId=target, flatten=True)
            self._session = attached["sessionId"]
            self.page("Page.enable")
            self.page("Runtime.enable")
        except BaseException:
            self.close()  # no browser left behind when it cannot be driven
            raise

    def _endpoint(self, timeout_s: float = 30.0) -> str:
        # Chromium writes the port it chose and the browser's path into the profile folder.
        active = Path(self._profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self._process.poll() is None:
            lines = active.read_text().split() if active.is_file() else []
            if len(lines) >= 2:
                return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
            time.sleep(0.05)
        raise RuntimeError("chromium did not open its DevTools endpoint")

    def _call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        message_id = next(self._ids)
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self._socket.send(json.dumps(message))
        while True:  # events arrive in between: skip them
            reply = json.loads(self._socket.recv(timeout=60))
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply.get("result", {}))

    def page(self, method: str, **params: Any) -> dict[str, Any]:
        """Call a CDP method on the attached page."""
        return self._call(method, self._session, **params)

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression (promises awaited)."""
        result = self.page(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url: str, timeout_s: float = 30.0) -> None:
        """Navigate and wait until the document and its subresources have loaded."""
        self.page("Page.navigate", url=url)
        deadline = time.monotonic() + timeout_s
        while self.evaluate("document.readyState") != "complete":
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not finish loading in {timeout_s} s")
            time.sleep(0.1)

    def screenshot(self, path: Path, width: int = 1366) -> tuple[int, int]:
        """A full-page PNG at `width` CSS pixels; returns its size."""
        height = int(self.evaluate("document.documentElement.scrollHeight"))
        self.page(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        shot = self.page("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return width, height

    def close(self) -> None:
        """Close the connection and end the browser (safe to call twice)."""
        self._session = None
        self._resources.close()  # ExitStack.close is idempotent
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._profile.cleanup()

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
