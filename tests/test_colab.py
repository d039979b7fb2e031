"""Every chapter runs as on Colab: alone in an empty folder, dlnotes installed by its setup cell.

Colab opens one notebook with none of the repository beside it; the setup cell then runs
``%pip install -q "dlnotes @ git+<repository url>"``.  This test does exactly that, on this
machine, for each notebook in ``book/``:

* a fresh virtual environment per notebook that sees every package of the test environment
  *except* dlnotes (an overlay folder of links to the current site-packages without
  dlnotes' files and editable-install hooks), so ``import dlnotes`` fails until the setup
  cell's own ``%pip install`` puts it there;
* git rewrites the repository URL of ``_config.yml`` to this clone
  (``url.<clone>.insteadOf``, in a temporary ``GIT_CONFIG_GLOBAL``), so pip clones the
  *committed* HEAD, as Colab clones the committed main;
* a stub ``google.colab`` module on the kernel's ``PYTHONPATH`` makes the setup cell take
  its Colab branch;
* the kernel imports Colab's ipywidgets 7 (installed once per run with pip into a folder
  ahead of the overlay), not the ipywidgets 8 of the test environment;
* the notebook is copied alone into an empty temporary folder (the kernel's working
  directory) and executed top to bottom with nbclient.  Any error fails the test, except
  in cells tagged ``raises-exception``.

Finally the test checks that ``dlnotes`` was imported from the fresh environment, i.e. the
one the setup cell installed.
"""
from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import sysconfig
import time

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / ".ci"))
from setup_cell import repository_url  # noqa: E402

NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))
CELL_TIMEOUT = 600
# Colab ships ipywidgets 7 (7.7.1), not the 8 of requirements.txt: the kernel gets it, so a
# chapter that uses an ipywidgets-8-only API fails here.  ipywidgets 7 also needs these.
COLAB_WIDGETS = ["ipywidgets==7.7.1", "widgetsnbextension==3.6.1", "jupyterlab_widgets==1.1.1",
                 "ipython_genutils==0.2.0"]


def _is_dlnotes_entry(path: pathlib.Path) -> bool:
    name = path.name.lower()
    if name == "dlnotes" or name.startswith(("dlnotes-", "dlnotes.", "__editable__.dlnotes",
                                             "__editable___dlnotes")):
        return True
    if name.endswith((".pth", ".egg-link")):
        text = path.read_text(errors="replace")
        return "dlnotes" in text or str(ROOT) in text
    return False


def _site_dirs():
    dirs = []
    for key in ("purelib", "platlib"):
        d = pathlib.Path(sysconfig.get_paths()[key])
        if d.is_dir() and d not in dirs:
            dirs.append(d)
    return dirs


@pytest.fixture(scope="session")
def colab_base(tmp_path_factory):
    """What every notebook's fresh environment shares (made once per xdist worker)."""
    if shutil.which("git") is None:
        pytest.skip("git is needed to install dlnotes from the repository URL")
    if subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True).returncode:
        pytest.skip(f"{ROOT} is not a git clone with a commit: the setup cell installs the committed HEAD")
    base = tmp_path_factory.mktemp("colab")
    # 1. the current environment's packages, without dlnotes
    overlay = base / "site-packages-without-dlnotes"
    overlay.mkdir()
    for d in _site_dirs():
        for entry in d.iterdir():
            if not _is_dlnotes_entry(entry) and not (overlay / entry.name).exists():
                (overlay / entry.name).symlink_to(entry)
    # 2. google.colab, so that the setup cell takes its Colab branch (a namespace package:
    #    google.protobuf and friends stay importable)
    stub = base / "colab-stub"
    (stub / "google" / "colab").mkdir(parents=True)
    (stub / "google" / "colab" / "__init__.py").write_text('"""Stand-in for Colab\'s module."""\n')
    # 3. Colab's ipywidgets 7, ahead of the test environment's ipywidgets 8
    widgets7 = base / "colab-ipywidgets7"
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                           "--disable-pip-version-check", "--target", str(widgets7), *COLAB_WIDGETS],
                          capture_output=True, text=True)
    if proc.returncode:
        pytest.fail(f"could not install Colab's ipywidgets 7 ({' '.join(COLAB_WIDGETS)}) "
                    f"from the package index:\n{proc.stderr[-2000:]}")
    # 4. the repository URL of _config.yml points at this clone
    gitconfig = base / "gitconfig"
    gitconfig.write_text(
        f'[url "{ROOT.as_uri()}"]\n\tinsteadOf = {repository_url()}\n'
        "[safe]\n\tdirectory = *\n[advice]\n\tdetachedHead = false\n")
    return {"base": base, "overlay": overlay, "stub": stub, "gitconfig": gitconfig,
            "widgets7": widgets7}


def make_env(colab_base, where: pathlib.Path):
    """A fresh venv that sees the overlay; returns (python, environment for the kernel)."""
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    # addsitedir also runs the overlay's .pth files (those of dlnotes are not there)
    pathlib.Path(purelib, "_colab_overlay.pth").write_text(
        f"import site; site.addsitedir({str(colab_base['overlay'])!r})\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")
           and not k.startswith(("PYTEST_", "JPY_", "COV_"))}
    env.update({
        "PYTHONPATH": os.pathsep.join([str(colab_base["stub"]), str(colab_base["widgets7"])]),
        "VIRTUAL_ENV": str(venv),
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "GIT_CONFIG_GLOBAL": str(colab_base["gitconfig"]),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_INPUT": "1",
        # Build dlnotes' wheel with the setuptools already there instead of downloading
        # setuptools into an isolated build environment for every notebook (halves the
        # install time; what gets installed, dlnotes from the cloned HEAD, is the same).
        "PIP_NO_BUILD_ISOLATION": "0",
    })
    return python, env


def start_kernel_manager(python: pathlib.Path, env: dict, where: pathlib.Path):
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    kdir = where / "kernels" / "colab"
    kdir.mkdir(parents=True)
    (kdir / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Colab-like", "language": "python"}))
    ksm = KernelSpecManager(kernel_dirs=[str(kdir.parent)])
    return KernelManager(kernel_name="colab", kernel_spec_manager=ksm)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_runs_alone_after_setup_cell_installs_dlnotes(colab_base, tmp_path, notebook):
    from nbclient import NotebookClient

    python, env = make_env(colab_base, tmp_path)
    workdir = tmp_path / "content"  # Colab's working folder holds nothing of the repository
    workdir.mkdir()
    probe = subprocess.run([str(python), "-c", "import dlnotes"], env=env, cwd=workdir, capture_output=True)
    assert probe.returncode != 0, "dlnotes is importable before the setup cell ran: the test env leaks it"
    probe = subprocess.run([str(python), "-c", "import google.colab, ipykernel, pip"],
                           env=env, cwd=workdir, capture_output=True, text=True)
    assert probe.returncode == 0, f"the Colab-like environment is broken: {probe.stderr[-2000:]}"
    shutil.copy(notebook, workdir / notebook.name)
    nb = nbformat.read(workdir / notebook.name, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import dlnotes as _d, sys as _s, ipywidgets as _w\nprint('DLNOTES_FROM', _d.__file__)\n"
        "print('PREFIX', _s.prefix)\nprint('IPYWIDGETS', _w.__version__)"))
    km = start_kernel_manager(python, env, tmp_path)
    client = NotebookClient(nb, km=km, timeout=CELL_TIMEOUT, kernel_name="colab",
                            resources={"metadata": {"path": str(workdir)}})
    start = time.perf_counter()
    client.execute(env=env)
    elapsed = time.perf_counter() - start

    setup = next(c for c in nb.cells if c.cell_type == "code")
    assert "%pip install" in setup.source and repository_url() in setup.source
    errors = [o for o in setup.outputs if o.output_type == "error"
              or (o.output_type == "stream" and o.name == "stderr" and "ERROR" in o.text)]
    assert not errors, f"{notebook.name}: the setup cell's install failed: {errors}"
    last = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    origin = next(line.split(" ", 1)[1] for line in last.splitlines() if line.startswith("DLNOTES_FROM"))
    prefix = next(line.split(" ", 1)[1] for line in last.splitlines() if line.startswith("PREFIX"))
    assert pathlib.Path(origin).resolve().is_relative_to(pathlib.Path(prefix).resolve()), (
        f"{notebook.name}: dlnotes came from {origin}, not from the fresh environment {prefix}")
    assert not pathlib.Path(origin).resolve().is_relative_to(ROOT), origin
    widgets = next(line.split(" ", 1)[1] for line in last.splitlines() if line.startswith("IPYWIDGETS"))
    assert widgets.startswith("7."), f"the kernel used ipywidgets {widgets}, not Colab's 7"
    print(f"{notebook.name}: ran Colab-style in {elapsed:.1f} s")
