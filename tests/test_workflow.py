"""The GitHub Actions workflow is valid YAML and runs exactly the README's commands."""
import pathlib
import re

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"


def readme_commands():
    """The commands in the README's "The commands" section, in order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## The commands", 1)[1].split("\n## ", 1)[0]
    return [b.strip() for b in re.findall(r"```bash\n(.*?)```", section, re.S)]


def workflow():
    wf = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as True
    wf["on"] = wf.pop(True, wf.get("on"))
    return wf


def steps(wf, job):
    return wf["jobs"][job]["steps"]


def test_readme_has_the_three_commands():
    cmds = readme_commands()
    assert cmds == ["pip install -r requirements.txt -c .ci/constraints.txt && "
                    "jupyter-book build . -W -n --keep-going", "pytest", "bash .ci/portability"]


def test_ci_runs_the_readme_commands_in_order():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    install, test, portability = readme_commands()
    positions = [ci.index("pip install -q -r requirements.txt -c .ci/constraints.txt"),
                 ci.index("jupyter-book build . -W -n --keep-going"), ci.index("\npytest\n"),
                 ci.index("\nbash .ci/portability\n")]
    assert positions == sorted(positions)


def test_workflow_runs_readme_commands_on_pull_requests_and_main():
    wf = workflow()
    assert "pull_request" in wf["on"]
    assert wf["on"]["push"]["branches"] == ["main"]
    runs = [s["run"].strip() for s in steps(wf, "build-and-test") if "run" in s]
    for cmd in readme_commands():
        assert cmd in runs, f"the workflow does not run the README command {cmd!r}"
    # the build comes before the tests, chromium before both
    i_build = runs.index(readme_commands()[0])
    i_test = runs.index(readme_commands()[1])
    i_port = runs.index(readme_commands()[2])
    i_chromium = next(i for i, r in enumerate(runs) if "apt-get install" in r and "chromium" in r)
    assert i_chromium < i_build < i_test < i_port


def test_workflow_publishes_site_from_main_only():
    wf = workflow()
    upload = next(s for s in steps(wf, "build-and-test")
                  if s.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "_build/html"
    assert "refs/heads/main" in upload["if"] and "push" in upload["if"]
    deploy = wf["jobs"]["deploy"]
    assert deploy["needs"] == "build-and-test"
    assert "refs/heads/main" in deploy["if"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert any(s.get("uses", "").startswith("actions/deploy-pages") for s in deploy["steps"])
