#!/usr/bin/env python3
"""End to end: tools/train --monitor seen through headless Chromium.

Trains a small LeNet on generated digits with the monitor on a free loopback
port, reads the page twice with Chromium (after its JavaScript ran) to see the
curve grow, takes a screenshot, clicks the page's Stop button in Chromium
through ChromeDriver (WebDriver's HTTP protocol; without chromedriver, it
sends what the button sends, POST /api/stop), checks the snapshot resumes, then runs parse_log,
plot_training_log and visualize on what the run left. Pictures go to
BUILD/pictures/. Every wait is bounded.

Usage: monitor_browser_test.py BUILD_DIR SOURCE_DIR
Exit 77 (skipped) only when Chromium is not installed and cannot be (outside
CI it is not installed by the test: apt-get install chromium).
"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

SKIP = 77


def fail(message):
    print("FAIL: " + message, flush=True)
    sys.exit(1)


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI") == "true" and os.geteuid() == 0:
        print("chromium is missing; CI=true, installing it with apt-get", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends",
                        "chromium", "chromium-driver"], timeout=900)
        return shutil.which("chromium")
    return None


def run(args, timeout=120, log=None):
    with open(log or os.devnull, "a") as out:
        result = subprocess.run(args, stdout=out, stderr=subprocess.STDOUT, timeout=timeout)
    if result.returncode != 0:
        fail("%s exited with %d%s" % (" ".join(args), result.returncode,
                                       "; see " + log if log else ""))


def wait_for(what, predicate, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    fail("timed out after %d s waiting for %s" % (seconds, what))


def http(url, method="GET"):
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


def chromium_args(chromium):
    return [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--no-first-run", "--user-data-dir=" + tempfile.mkdtemp(prefix="crema_chromium_")]


def free_port():
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def webdriver(base, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, method=method, data=data,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read().decode())["value"]


def click_stop(chromium, url):
    """Opens the page in Chromium driven by ChromeDriver, waits until it plots
    points, clicks Stop and returns the page's answer. None without chromedriver."""
    driver = shutil.which("chromedriver")
    if not driver:
        return None
    port = free_port()
    process = subprocess.Popen([driver, "--port=%d" % port], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    base = "http://127.0.0.1:%d" % port
    try:
        wait_for("chromedriver", lambda: _ready(base), 30)
        options = {"binary": chromium, "args": chromium_args(chromium)[1:]}
        session = webdriver(base, "POST", "/session", {"capabilities": {
            "alwaysMatch": {"goog:chromeOptions": options}}})["sessionId"]
        at = "/session/" + session
        webdriver(base, "POST", at + "/url", {"url": url})

        def element(css):
            found = webdriver(base, "POST", at + "/element", {"using": "css selector", "value": css})
            return next(iter(found.values()))

        def text(css):
            return webdriver(base, "GET", at + "/element/%s/text" % element(css))

        wait_for("points plotted in the driven page", lambda: int(text("#points") or 0) > 0, 30)
        webdriver(base, "POST", at + "/element/%s/click" % element("#stop"), {})
        answer = wait_for("the page's answer to Stop", lambda: text("#message"), 30)
        webdriver(base, "DELETE", at)
        return answer
    finally:
        process.kill()
        process.wait()


def _ready(base):
    try:
        return webdriver(base, "GET", "/status").get("ready")
    except OSError:
        return False


def points_on_page(chromium, url):
    """The number of points the page's charts plot, after its scripts ran."""
    dom = subprocess.run(chromium_args(chromium) + ["--virtual-time-budget=2500", "--dump-dom", url],
                         capture_output=True, text=True, timeout=90).stdout
    match = re.search(r'<b id="points">(\d+)</b>', dom)
    if not match:
        fail("the page has no point count; Chromium returned: " + dom[:500])
    if 'id="stop"' not in dom or 'id="snapshot"' not in dom:
        fail("the page lacks its Stop / Snapshot buttons")
    return int(match.group(1))


def make_data(tools, work):
    run([tools + "/generate_digits", "--train_per_class=40", "--test_per_class=5", "--seed=1",
         work + "/digits"])
    run([tools + "/convert_imageset", "--gray", "--shuffle", work + "/digits/train",
         work + "/train_lmdb"])
    run([tools + "/convert_imageset", "--gray", work + "/digits/test", work + "/test_lmdb"])
    with open(SOURCE + "/models/lenet/lenet_train_test.prototxt") as f:
        net = f.read()
    net = net.replace("data/mnist/mnist_train_lmdb", work + "/train_lmdb")
    net = net.replace("data/mnist/mnist_test_lmdb", work + "/test_lmdb")
    net = net.replace("batch_size: 100", "batch_size: 10")
    with open(work + "/net.prototxt", "w") as f:
        f.write(net)
    with open(work + "/solver.prototxt", "w") as f:
        f.write('net: "%s/net.prototxt"\ntest_iter: 5\ntest_interval: 20\nbase_lr: 0.01\n'
                'momentum: 0.9\nweight_decay: 0.0005\nlr_policy: "inv"\ngamma: 0.0001\n'
                'power: 0.75\ndisplay: 2\nmax_iter: 100000\nsnapshot_prefix: "%s/lenet"\n'
                'random_seed: 1\nsolver_mode: CPU\n' % (work, work))


def monitor_run(tools, chromium, work, pictures):
    log = work + "/train.log"
    out = open(log, "w")
    train = subprocess.Popen([tools + "/train", "--solver=" + work + "/solver.prototxt",
                              "--monitor=127.0.0.1:0"], stdout=out, stderr=subprocess.STDOUT)
    try:
        port = wait_for("the monitor's address in the log", lambda: re.search(
            r"Training monitor at http://127\.0\.0\.1:(\d+)/", open(log).read()), 60).group(1)
        url = "http://127.0.0.1:%s/" % port
        wait_for("two train rows in /api/series",
                 lambda: len(json.loads(http(url + "api/series"))["train"]) >= 2, 120)
        first = points_on_page(chromium, url)
        time.sleep(3)
        second = points_on_page(chromium, url)
        print("points plotted: %d, then %d" % (first, second), flush=True)
        if not 0 < first < second:
            fail("the curve did not grow (%d, then %d points)" % (first, second))
        subprocess.run(chromium_args(chromium) + [
            "--virtual-time-budget=2500", "--window-size=1500,700",
            "--screenshot=" + pictures + "/monitor.png", url], capture_output=True, timeout=90)
        if os.path.getsize(pictures + "/monitor.png") < 10000:
            fail("the monitor screenshot is (nearly) empty")
        status = json.loads(http(url + "api/status"))
        if status["iteration"] <= 0 or status["images_per_second"] is None:
            fail("/api/status lacks the run's progress: %s" % status)
        answer = click_stop(chromium, url)
        if answer is None:
            print("chromedriver is missing (apt-get install chromium-driver); sending what "
                  "the Stop button sends instead", flush=True)
            if '"ok":true' not in http(url + "api/stop", "POST"):
                fail("/api/stop refused a loopback client")
        elif answer not in ("stop requested", "training process not reachable"):
            # (the second: the stop was quick, and the page's next refresh found
            # the process gone before the answer could be read; the exit status
            # and the snapshot are checked below)
            fail("the page answered %r to its Stop button" % answer)
        else:
            print("clicked Stop in Chromium: %s" % answer, flush=True)
        code = train.wait(timeout=120)
    finally:
        if train.poll() is None:
            train.kill()
            train.wait()
    text = open(log).read()
    if code != 0:
        fail("train exited with %d after the stop; see %s" % (code, log))
    states = re.findall(r"Snapshotting solver state to binary proto file (\S+)", text)
    if not states or not os.path.exists(states[-1]):
        fail("the stop left no .solverstate")
    return log, states[-1]


def main():
    build = os.path.abspath(sys.argv[1])
    tools = build + "/tools"
    pictures = build + "/pictures"
    os.makedirs(pictures, exist_ok=True)
    chromium = find_chromium()
    if not chromium:
        print("SKIP: Chromium is not installed (apt-get install chromium, or run with CI=true "
              "as root to let the test install it).", flush=True)
        return SKIP
    work = tempfile.mkdtemp(prefix="crema_monitor_")
    make_data(tools, work)
    log, state = monitor_run(tools, chromium, work, pictures)
    iteration = int(re.search(r"_iter_(\d+)\.solverstate$", state).group(1))
    resumed = work + "/resumed.log"
    run([tools + "/train", "--solver=" + work + "/solver.prototxt", "--snapshot=" + state,
         "--iterations=%d" % (iteration + 10)], timeout=180, log=resumed)
    if "solver restored at iteration %d" % iteration not in open(resumed).read():
        fail("the resumed run did not start from iteration %d" % iteration)
    print("stopped at iteration %d; resumed to %d" % (iteration, iteration + 10), flush=True)

    run([tools + "/parse_log", log, work], log=work + "/tools.log")
    with open(work + "/train.log.train") as f:
        if not f.readline().startswith("NumIters,Seconds,LearningRate,loss"):
            fail("parse_log wrote an unexpected header")
    run([tools + "/plot_training_log", log, resumed, "--out=" + pictures + "/curves.png"],
        log=work + "/tools.log")
    weights = work + "/lenet_iter_%d.caffemodel" % (iteration + 10)
    image = sorted(glob.glob(work + "/digits/test/3/*"))[0]
    common = ["--model=" + SOURCE + "/models/lenet/deploy.prototxt", "--weights=" + weights,
              "--raw_scale=1"]
    run([tools + "/visualize", "filters"] + common + ["--out=" + pictures + "/filters.png"],
        log=work + "/tools.log")
    run([tools + "/visualize", "activations", image, "--blob=conv1"] + common +
        ["--out=" + pictures + "/activations.png"], log=work + "/tools.log")
    run([tools + "/visualize", "occlusion", image, "--patch=8", "--stride=2"] + common +
        ["--out=" + pictures + "/occlusion.png"], log=work + "/tools.log")
    for name in ("monitor", "curves", "filters", "activations", "occlusion"):
        print("wrote %s/%s.png" % (pictures, name))
    shutil.rmtree(work, ignore_errors=True)
    print("PASS", flush=True)
    return 0


if __name__ == "__main__":
    SOURCE = os.path.abspath(sys.argv[2])
    sys.exit(main())
