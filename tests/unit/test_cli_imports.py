"""`dutytrail run` monkey-patches for eventlet after the command line is loaded, so loading the
command line must not import pydantic models (eventlet then walks and trips over them, printing
a traceback in every service's log): a command group that needs them loads them when asked."""

from __future__ import annotations

import subprocess
import sys


def test_loading_the_command_line_imports_no_pydantic_model_and_no_contract():
    probe = (
        "import sys, dutytrail_ops.cli\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'pydantic'"
        " or m.startswith('shared.contracts') or m.count('.') > 1 and m.startswith('services.'))\n"
        "print(loaded)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True, timeout=60)
    # The services' declarations (services/<name>/__init__.py) are read; nothing below them.
    assert done.stdout.strip() == "[]"


def test_the_funds_group_still_offers_its_import_command():
    done = subprocess.run([sys.executable, "-m", "dutytrail_ops.cli", "funds", "--help"],
                          capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "import" in done.stdout
