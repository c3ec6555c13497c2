"""End to end in a real headless Chromium (Debian's ``chromium``, driven by Playwright).

The page is loaded from a real server on a free loopback port; the test clicks the controls
as a person would. Skipped when Playwright or Chromium is missing (``make test`` installs
both). A screenshot and the measured stream rate are kept under ``build/playground-e2e/`` (or
``$LIGHTGRAD_ARTIFACTS``).
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import lightgrad

try:  # the test extra has them; skip, not fail, without (make test installs everything)
    import uvicorn  # noqa: F401
    from playwright import sync_api

    from lightgrad.playground.server import PlaygroundServer
    MISSING = None
except ImportError as e:
    MISSING = f"needs playwright and the playground extra: {e}"

CHROMIUM = os.environ.get("LIGHTGRAD_CHROMIUM") or shutil.which("chromium") or \
    "/usr/bin/chromium"
if MISSING is None and not Path(CHROMIUM).is_file():
    MISSING = f"no Chromium at {CHROMIUM} (apt-get install chromium, as make test does)"
pytestmark = pytest.mark.skipif(MISSING is not None, reason=str(MISSING))
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(os.environ.get("LIGHTGRAD_ARTIFACTS", "")) if os.environ.get(
    "LIGHTGRAD_ARTIFACTS") else Path(__file__).resolve().parents[2] / "build" / "playground-e2e"
TIMEOUT_MS = 90_000


@pytest.fixture(scope="module")
def server():
    srv = PlaygroundServer(quiet=True).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                  accept_downloads=True)
    pg = context.new_page()
    errors = []
    pg.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    pg.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error"
          else None)
    pg.set_default_timeout(TIMEOUT_MS)
    yield pg
    context.close()
    assert not errors, errors


def _stats(page):
    return page.evaluate("() => JSON.parse(JSON.stringify(window.__playground))")


def _wait_settings(page, **expected):
    """Wait until the server has rebuilt the session with these settings (a data message)."""
    page.wait_for_function(
        """(exp) => { const s = window.__playground.settings;
                      return s && Object.entries(exp).every(
                        ([k, v]) => JSON.stringify(s[k]) === JSON.stringify(v)); }""",
        arg=expected)


def _heatmap(page):
    return page.evaluate("""() => { const c = document.getElementById('heatmap');
        return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data); }""")


def _wait_playing(page, playing):
    page.wait_for_function("(p) => document.getElementById('play').classList.contains('playing')"
                           " === p", arg=playing)


def test_spiral_trains_in_the_page_and_the_export_reproduces_it(server, page, tmp_path):
    page.goto(server.url)
    page.wait_for_function("() => window.__playground.frames > 0")
    # pick the spiral, two hidden layers of 8 tanh neurons, sin features, Adam at 0.01
    page.click("[data-dataset=spiral]")
    for _ in range(4):
        page.click("#add-neuron-0")
    for _ in range(6):
        page.click("#add-neuron-1")
    page.select_option("#activation", "tanh")
    page.click("#node-in-sinx1")
    page.click("#node-in-sinx2")
    page.select_option("#optimizer", "adam")
    page.select_option("#lr", "0.01")  # smoother than 0.03, whose loss spikes now and then
    _wait_settings(page, dataset="spiral", layers=[8, 8], activation="tanh", optimizer="adam",
                   lr=0.01, features=["x1", "x2", "sinx1", "sinx2"])
    page.wait_for_function("() => window.__playground.epoch === 0 && "
                           "window.__playground.testLoss !== null")
    assert "dataset=spiral" in page.url and "layers=8,8" in page.url
    assert page.inner_text("#epoch") == "000,000"
    before = _heatmap(page)
    frames_before = _stats(page)["frames"]

    page.click("#play")
    _wait_playing(page, True)
    # the test loss shown on the page falls below the threshold
    page.wait_for_function(
        "() => parseFloat(document.getElementById('test-loss').textContent) < 0.1",
        timeout=TIMEOUT_MS)
    ups = _stats(page)["ups"]
    page.click("#play")
    _wait_playing(page, False)
    # pausing completes the epoch under way: wait for its frame (what the export reproduces)
    page.wait_for_function("() => window.__playground.partial === false")
    stats = _stats(page)
    epoch, test_loss = stats["epoch"], stats["testLoss"]
    assert epoch > 0 and test_loss < 0.2  # a few epochs on from the threshold
    assert stats["frames"] - frames_before >= 3  # streamed, not one final picture
    shown = int(page.inner_text("#epoch").replace(",", ""))
    assert shown == epoch
    after = _heatmap(page)
    changed = sum(a != b for a, b in zip(before, after)) / len(before)
    assert changed > 0.05, f"the boundary heatmap barely changed ({changed:.1%})"
    accuracy = page.inner_text("#test-acc")
    assert re.search(r"accuracy (\d+\.\d)%", accuracy)

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "playground_spiral.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    (ARTIFACTS / "stream.json").write_text(json.dumps(
        {"updates_per_second": ups, "epochs": epoch, "test_loss": test_loss}, indent=1))
    print(f"\nscreenshot: {shot}; stream: {ups:.1f} updates/s; epoch {epoch}, "
          f"test loss {test_loss:.4f}")

    # export as Python: the downloaded script trains the same way
    with page.expect_download() as info:
        page.click("#export")
    script = tmp_path / info.value.suggested_filename
    info.value.save_as(script)
    assert script.name == "playground_spiral.py"
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    m = re.search(r"epochs=(\d+) train_loss=\S+ test_loss=(\S+)", proc.stdout)
    assert m, proc.stdout
    assert int(m.group(1)) == epoch
    assert float(m.group(2)) == pytest.approx(test_loss, rel=1e-3, abs=1e-4)

    # save model: a lightgrad file with the network's weights
    with page.expect_download() as info:
        page.click("#save")
    model_file = tmp_path / info.value.suggested_filename
    info.value.save_as(model_file)
    assert model_file.suffix == ".safetensors"
    state = lightgrad.load(model_file)
    assert {k: tuple(v.shape) for k, v in state.items()} == {
        "0.weight": (8, 4), "0.bias": (8,), "2.weight": (8, 8), "2.bias": (8,),
        "4.weight": (1, 8), "4.bias": (1,)}


def test_settings_in_the_url_views_and_determinism(server, page):
    hash_ = ("#dataset=xor&layers=3&activation=relu&lr=0.1&optimizer=momentum"
             "&features=x1,x2,x1x2&seed=9&noise=10&ratio=70&batch=5&discretize=1&test=1")
    page.goto(server.url + hash_)
    _wait_settings(page, dataset="xor", layers=[3], activation="relu", lr=0.1,
                   optimizer="momentum", features=["x1", "x2", "x1x2"], seed=9, noise=10,
                   ratio=70, batch=5)
    assert page.input_value("#activation") == "relu"
    assert page.input_value("#optimizer") == "momentum"
    assert float(page.input_value("#lr")) == 0.1
    assert page.input_value("#seed") == "9"
    assert page.inner_text("#layer-count") == "1"
    assert page.is_checked("#discretize") and page.is_checked("#show-test")
    assert "inactive" in page.get_attribute("#node-in-sinx1", "class")
    assert "inactive" not in page.get_attribute("#node-in-x1x2", "class")

    # the same setup trains the same way twice (reset restarts from the seeded weights)
    losses = []
    for _ in range(2):
        page.click("#reset")
        page.wait_for_function("() => window.__playground.epoch === 0")
        for k in range(1, 4):
            page.click("#step")
            page.wait_for_function(f"() => window.__playground.epoch === {k}")
        losses.append((_stats(page)["testLoss"], _heatmap(page)))
    assert losses[0] == losses[1]

    # discretize: the output heatmap has exactly two colours
    pixels = _heatmap(page)
    colours = {tuple(pixels[i:i + 3]) for i in range(0, len(pixels), 4)}
    assert len(colours) <= 2
    page.uncheck("#discretize")
    assert "discretize=0" in page.url
    pixels = _heatmap(page)
    assert len({tuple(pixels[i:i + 3]) for i in range(0, len(pixels), 4)}) > 2

    # show gradients: the links animate backwards, coloured by their gradient
    assert page.locator("#links path.backprop").count() == 0
    page.check("#show-grads")
    assert "grads=1" in page.url
    n_links = 3 * 3 + 3 * 1
    assert page.locator("#links path").count() == n_links
    assert page.locator("#links path.backprop").count() == n_links

    # a control changes the URL, and the URL alone reproduces the setup in a new page
    page.select_option("#lr", "0.01")
    _wait_settings(page, lr=0.01)
    assert "lr=0.01" in page.url
    url = page.url
    page.goto("about:blank")
    page.goto(url)
    _wait_settings(page, dataset="xor", lr=0.01, layers=[3], seed=9)

    # removing and adding layers with the buttons
    page.click("#remove-layer")
    _wait_settings(page, layers=[])
    assert page.locator("#links path").count() == 3
    page.click("#add-layer")
    page.click("#add-layer")
    _wait_settings(page, layers=[2, 2])
    assert page.inner_text("#layer-count") == "2"


def test_regression_page(server, page):
    page.goto(server.url + "#dataset=plane&layers=2&lr=0.01")
    _wait_settings(page, dataset="plane", problem="regression")
    assert page.input_value("#problem") == "regression"
    page.select_option("#problem", "classification")
    _wait_settings(page, dataset="circle", problem="classification")
    page.click("[data-dataset=multigauss]")
    _wait_settings(page, dataset="multigauss", problem="regression")
    page.click("#step")
    page.wait_for_function("() => window.__playground.epoch === 1")
    assert page.inner_text("#test-acc") == ""  # no accuracy for regression
