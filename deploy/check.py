"""Static checks of the deployment files, run by .ci/run (no Docker engine runs there).

Parses every YAML file under deploy/ and checks the Dockerfile's shape: a build stage on an
official Swift image that builds a release product with the static Swift stdlib, a runtime stage
that installs libnghttp2, runs as a non-root user, exposes 9080 and has a health check.
"""

import pathlib
import re
import sys

import yaml

root = pathlib.Path(__file__).resolve().parent
failures: list[str] = []

for path in sorted(root.rglob("*.y*ml")):
    try:
        documents = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    except yaml.YAMLError as error:
        failures.append(f"{path.name}: not valid YAML: {error}")
        continue
    if not documents:
        failures.append(f"{path.name}: empty")
    for document in documents:
        if path.name.startswith("docker-compose"):
            services = document.get("services", {})
            for name in ("restate", "signup-workflow", "register"):
                if name not in services:
                    failures.append(f"{path.name}: no service {name!r}")
        elif "kind" not in document or "apiVersion" not in document:
            failures.append(f"{path.name}: a Kubernetes document without kind/apiVersion")

dockerfile = (root / "Dockerfile").read_text()
stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", dockerfile, flags=re.M | re.I)
if len(stages) < 2:
    failures.append("Dockerfile: expected a build stage and a runtime stage")
elif not stages[0][0].startswith("swift:"):
    failures.append("Dockerfile: the build stage should use an official swift image")
for needle, why in [
    ("--static-swift-stdlib", "a self-contained binary"),
    ("-c release", "a release build"),
    ("libnghttp2-14", "the runtime library"),
    ("USER ", "a non-root user"),
    ("EXPOSE 9080", "the conventional port"),
    ("HEALTHCHECK", "a health check on /health"),
    ("COPY --from=build", "copying the binary from the build stage"),
]:
    if needle not in dockerfile:
        failures.append(f"Dockerfile: missing {needle!r} ({why})")

for failure in failures:
    print("FAIL", failure)
checked = len(list(root.rglob("*.y*ml"))) + 1
print(f"deploy: {checked} files checked, {len(failures)} problems")
sys.exit(1 if failures else 0)
