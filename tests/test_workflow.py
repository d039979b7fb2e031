"""The GitHub Actions workflow is valid YAML and runs exactly the README's commands."""
import json
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


def _training_rule():
    import importlib.util
    spec = importlib.util.spec_from_file_location("training_chapters",
                                                  ROOT / ".ci" / "training_chapters.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_portability_default_set_holds_every_chapter_that_trains():
    rule = _training_rule()
    chosen = {p.name for p in rule.training_chapters()}
    # the three chapters whose saved outputs once moved with the CPU (issue 11) are in it
    assert {"05_regularisation.ipynb", "13_training_cnns.ipynb", "15_hog.ipynb"} <= chosen
    # the rule reads code, not prose: each form of fitting is caught, a closed form is not
    for src in ["opt.step()", "model = fit(net, data)", "clf.fit(X, y)", "train_mlp(x)",
                "fit_autoencoder(ae, x)", "w = w - lr * grad"]:
        assert rule.TRAINS.search(src), src
    for src in ["y = conv2d(x, w)", "profile(x)",
                "s = benefit(x)"]:
        assert not rule.TRAINS.search(src), src
    # a chapter outside the set uses no optimizer and no scikit-learn (one backward() to read a
    # gradient is not fitting)
    for nb in sorted((ROOT / "book").glob("*.ipynb")):
        if nb.name not in chosen:
            code = "".join("".join(c["source"]) for c in json.loads(nb.read_text("utf-8"))["cells"]
                           if c["cell_type"] == "code")
            assert not re.search(r"torch\.optim|optim\.|sklearn", code), nb.name


def test_portability_pass_uses_other_kernels_and_two_threads():
    text = (ROOT / ".ci" / "portability").read_text(encoding="utf-8")
    for var in ["ATEN_CPU_CAPABILITY=default", "MKL_CBWR=COMPATIBLE", "ONEDNN_MAX_CPU_ISA=SSE41",
                "OPENBLAS_CORETYPE=Sandybridge", "OMP_NUM_THREADS=2"]:
        assert var in text
    assert "unset MPLBACKEND" in text
    assert "training_chapters.py" in text and "--all" in text
