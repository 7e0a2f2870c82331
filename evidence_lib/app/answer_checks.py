"""What the check cells of a student exercise (``exercises/``) run inside: ``with check_answer():``.

Kept free of heavy imports: a student's notebook imports it in its first code cell.
"""

from __future__ import annotations

import contextlib


@contextlib.contextmanager
def check_answer():
    """Run a check; a ``NameError`` (an exercise not done yet) prints one friendly line instead.

    A wrong answer still fails its assertion: only a name that is not defined yet is forgiven.
    """
    try:
        yield
    except NameError as missing:
        print(f"Not done yet: `{missing.name}` is not defined. Fill in the `# your code here` cell above "
              f"it, run that cell, then run this check again.")
