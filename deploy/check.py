"""Static checks of the deployment files, run by .ci/run (no Docker engine runs there).

Parses every YAML file under deploy/ and checks the Dockerfile's shape: a build stage on an
official Swift image that builds a release product with the static Swift stdlib, a runtime stage
that installs libnghttp2, runs as a non-root user, exposes 9080 and has a health check.

The e2e conformance files get the same Dockerfile checks (test-services/Dockerfile, which must
build the TestServices product), a check of the exclusions file's shape, and a check of the
GitHub workflow that runs the restatedev/e2e sdk-tests action with them.
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
        if path.parent.name == "test-services":
            continue  # checked below, with the rest of the e2e files
        if path.name.startswith("docker-compose"):
            services = document.get("services", {})
            for name in ("restate", "signup-workflow", "register"):
                if name not in services:
                    failures.append(f"{path.name}: no service {name!r}")
        elif "kind" not in document or "apiVersion" not in document:
            failures.append(f"{path.name}: a Kubernetes document without kind/apiVersion")


def check_dockerfile(path: pathlib.Path, extra: list[tuple[str, str]] = []) -> None:
    name = path.relative_to(root)
    dockerfile = path.read_text()
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", dockerfile, flags=re.M | re.I)
    if len(stages) < 2:
        failures.append(f"{name}: expected a build stage and a runtime stage")
    elif not stages[0][0].startswith("swift:"):
        failures.append(f"{name}: the build stage should use an official swift image")
    for needle, why in [
        ("--static-swift-stdlib", "a self-contained binary"),
        ("-c release", "a release build"),
        ("libnghttp2-14", "the runtime library"),
        ("USER ", "a non-root user"),
        ("EXPOSE 9080", "the conventional port"),
        ("HEALTHCHECK", "a health check on /health"),
        ("COPY --from=build", "copying the binary from the build stage"),
        *extra,
    ]:
        if needle not in dockerfile:
            failures.append(f"{name}: missing {needle!r} ({why})")


check_dockerfile(root / "Dockerfile")
checked = 1

# --- e2e conformance: test-services image, exclusions, GitHub workflow ---------------------------

test_services = root / "test-services"
check_dockerfile(test_services / "Dockerfile", [("--product TestServices", "the test-services executable")])
checked += 1

# The suites of restatedev/e2e sdk-tests (junit/TestSuites.kt); an exclusion under another name
# would silently exclude nothing.
suites = {
    "default",
    "threeNodes",
    "alwaysSuspending",
    "threeNodesAlwaysSuspending",
    "singleThreadSinglePartition",
    "lazyState",
    "lazyStateAlwaysSuspending",
    "persistedTimers",
}
exclusions_path = test_services / "exclusions.yaml"
try:
    exclusions = yaml.safe_load(exclusions_path.read_text())
    checked += 1
    if not isinstance(exclusions, dict) or not isinstance(exclusions.get("exclusions"), dict):
        failures.append("test-services/exclusions.yaml: expected a mapping `exclusions: {<suite>: [tests]}`")
    else:
        for suite, tests in exclusions["exclusions"].items():
            if suite not in suites:
                failures.append(f"test-services/exclusions.yaml: unknown suite {suite!r}")
            if not isinstance(tests, list) or not all(
                isinstance(t, str) and re.fullmatch(r"dev\.restate\.sdktesting\.tests\.\w+(\.\w+)?", t)
                for t in tests
            ):
                failures.append(
                    f"test-services/exclusions.yaml: {suite}: expected a list of "
                    "dev.restate.sdktesting.tests.<Class>[.<method>] names"
                )
except (OSError, yaml.YAMLError) as error:
    failures.append(f"test-services/exclusions.yaml: {error}")

workflow_path = root.parent / ".github" / "workflows" / "e2e.yml"
try:
    workflow = yaml.safe_load(workflow_path.read_text())
    checked += 1
    # YAML 1.1 reads the key `on` as the boolean true.
    triggers = workflow.get("on", workflow.get(True)) if isinstance(workflow, dict) else None
    if not triggers:
        failures.append("e2e.yml: no triggers")
    steps = [step for job in (workflow or {}).get("jobs", {}).values() for step in job.get("steps", [])]
    builds = [s for s in steps if str(s.get("uses", "")).startswith("docker/build-push-action@")]
    runs = [s for s in steps if str(s.get("uses", "")).startswith("restatedev/e2e/sdk-tests@")]
    if len(builds) != 1 or len(runs) != 1:
        failures.append("e2e.yml: expected one image build and one restatedev/e2e/sdk-tests step")
    else:
        build, run = builds[0].get("with", {}), runs[0].get("with", {})
        if build.get("file") != "deploy/test-services/Dockerfile" or build.get("load") is not True:
            failures.append("e2e.yml: the build must load deploy/test-services/Dockerfile into the local engine")
        if run.get("serviceContainerImage") not in str(build.get("tags", "")).split(","):
            failures.append("e2e.yml: the suite must run the image the build step tagged")
        if not run.get("testArtifactOutput"):
            failures.append("e2e.yml: testArtifactOutput is a required input of the sdk-tests action")
        excluded = run.get("exclusionsFile")
        if excluded and not (root.parent / excluded).is_file():
            failures.append(f"e2e.yml: exclusionsFile {excluded} does not exist")
        known = {
            "envVars",
            "testArtifactOutput",
            "restateContainerImage",
            "serviceContainerImage",
            "exclusionsFile",
            "customTestsFile",
            "serviceContainerEnvFile",
            "testSuite",
            "testName",
        }
        for name in set(run) - known:
            failures.append(f"e2e.yml: the sdk-tests action has no input {name!r}")
except (OSError, yaml.YAMLError, AttributeError) as error:
    failures.append(f"e2e.yml: {error}")

for failure in failures:
    print("FAIL", failure)
checked += len([p for p in root.rglob("*.y*ml") if p.parent.name != "test-services"])
print(f"deploy: {checked} files checked, {len(failures)} problems")
sys.exit(1 if failures else 0)
