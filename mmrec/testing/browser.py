"""Headless Chromium through Selenium for end-to-end tests of the web demo, offline.

Chromium is Debian's (``/usr/bin/chromium``, ``/usr/bin/chromedriver``; ``.ci/run`` installs them). The driver
is given explicitly, so Selenium Manager never tries to download one, and Chromium starts with every
background connection off (the test machines have no network) and a fresh profile.
"""
import os
import shutil
import socket
import time
import urllib.error
import urllib.request
from typing import Optional

CHROMIUM = '/usr/bin/chromium'
CHROMEDRIVER = '/usr/bin/chromedriver'
CHROMIUM_FLAGS = ('--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                  '--disable-background-networking', '--disable-component-update', '--disable-sync',
                  '--disable-dev-shm-usage', '--window-size=1400,1000')


def chromium_missing() -> Optional[str]:
    """Why Chromium cannot be driven here (``None`` when it can)."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            return f'{path} is missing (apt-get install chromium chromium-driver)'
    try:
        import selenium  # noqa: F401
    except ImportError:
        return 'selenium is not installed (pip install -e ".[tests]")'
    return None


def chromium_driver(profile_dir: str, width: int = 1400, height: int = 1000):
    """A headless Chromium WebDriver with a fresh profile in ``profile_dir`` (created)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.makedirs(profile_dir, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f'--window-size={width},{height}')
    options.add_argument(f'--user-data-dir={profile_dir}')
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_window_size(width, height)
    return driver


def free_port() -> int:
    """A TCP port free on the loopback address now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, timeout: float = 180.0, alive=lambda: True) -> None:
    """Wait until ``url`` answers 200; ``RuntimeError`` after ``timeout`` s or when ``alive()`` turns false."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f'the server of {url} exited before answering')
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f'{url} did not answer within {timeout:.0f} s')


def remove_profile(profile_dir: str) -> None:
    shutil.rmtree(profile_dir, ignore_errors=True)


def save_screenshot(driver, path: str, scale: float = 0.7, colours: int = 96) -> str:
    """Save the browser's viewport to ``path``, resized by ``scale``, as a palette PNG of ``colours`` colours
    (small enough to commit)."""
    import io

    from PIL import Image

    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    image = Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert('RGB')
    size = (round(image.width * scale), round(image.height * scale))
    image.resize(size, Image.Resampling.LANCZOS).quantize(colours).save(path, optimize=True)
    return path


def wait_until(condition, timeout: float = 60.0, interval: float = 0.25, what: str = 'the page'):
    """Poll ``condition()`` until it returns a truthy value (returned); ``TimeoutError`` naming ``what``."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception as error:  # noqa: BLE001  (elements come and go while the page updates)
            last_error = error
        time.sleep(interval)
    raise TimeoutError(f'{what} did not happen within {timeout:.0f} s' + (f' ({last_error})' if last_error else ''))
