"""A PEP 517 build backend for `pip install .`: configures and builds the
_crema target with CMake, then zips build/python/crema (the module, its .py
files, crema_pb2 and a copy of libcrema next to the module) into a wheel.
Standard library only, so it needs no network."""
import base64
import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAME, VERSION = "crema", "0.1.0"


def _build(build_dir):
    jobs = str(os.cpu_count() or 2)
    subprocess.check_call(["cmake", "-S", ROOT, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release",
                           "-DCREMA_BUILD_TESTS=OFF", "-DPython3_EXECUTABLE=" + sys.executable])
    subprocess.check_call(["cmake", "--build", build_dir, "-j", jobs, "--target", "_crema"])
    package = os.path.join(build_dir, "python", "crema")
    shutil.copy2(os.path.join(build_dir, "libcrema.so"), package)  # found through $ORIGIN
    return package


def _tag():
    impl = "cp%d%d" % sys.version_info[:2]
    return "%s-%s-%s" % (impl, impl, sysconfig.get_platform().replace("-", "_").replace(".", "_"))


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (path, digest, len(data))


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    package = _build(os.path.join(ROOT, "build", "wheel"))
    wheel = "%s-%s-%s.whl" % (NAME, VERSION, _tag())
    dist_info = "%s-%s.dist-info" % (NAME, VERSION)
    records = []
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w", zipfile.ZIP_DEFLATED) as z:
        for folder, _, files in os.walk(package):
            for name in files:
                if name.endswith((".py", ".so")) or ".so." in name:
                    full = os.path.join(folder, name)
                    arc = os.path.join("crema", os.path.relpath(full, package))
                    data = open(full, "rb").read()
                    z.writestr(arc, data)
                    records.append(_record_line(arc, data))
        meta = {
            "METADATA": "Metadata-Version: 2.1\nName: %s\nVersion: %s\n"
                        "Requires-Dist: numpy\nRequires-Dist: protobuf\n" % (NAME, VERSION),
            "WHEEL": "Wheel-Version: 1.0\nGenerator: crema build_backend\n"
                     "Root-Is-Purelib: false\nTag: %s\n" % _tag(),
        }
        for name, text in meta.items():
            arc = dist_info + "/" + name
            z.writestr(arc, text)
            records.append(_record_line(arc, text.encode()))
        records.append(dist_info + "/RECORD,,")
        z.writestr(dist_info + "/RECORD", "\n".join(records) + "\n")
    return wheel


def get_requires_for_build_wheel(config_settings=None):
    return []
