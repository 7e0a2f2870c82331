#!/usr/bin/env bash
# Open every report in headless Chromium (Debian's package; installed with apt-get when
# missing) and fail when an image does not decode, a table or figure is wider than a
# 1280-pixel page, or a cell shows an error or stderr; and, in the reader's edition
# (reports/reader/), when a reader would see program output: a plain-text output block
# (text/plain, stdout or stderr), NaN, a Python list or dict repr, a traceback or a log line.
#
#   bash scripts/check_reports.sh              # render the committed notebooks to a temporary
#                                              # folder (no execution: CI's nbval run already
#                                              # executed them) and check those pages
#   bash scripts/check_reports.sh reports      # check the pages of a finished main job
#   SCREENSHOTS=DIR bash scripts/check_reports.sh   # also save a 1280-px-wide screenshot per page
source "$(dirname "${BASH_SOURCE[0]}")/_bootstrap.sh"

if ! command -v chromium >/dev/null 2>&1; then
    echo "==> installing chromium (Debian package) for the browser check"
    apt-get update -qq && apt-get install -y -qq -o DPkg::Lock::Timeout=900 chromium >/dev/null
fi

echo "==> checking the reports in headless Chromium"
exec .venv/bin/python - "$@" <<'PY'
"""Load each page at 1280 px, let a small script measure it, read the verdict from the DOM."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from evidence_lib.app.notebook_runner import render_committed

WIDTH = 1280
CHECK = r"""<script>
window.addEventListener("load", () => {
  const page = document.documentElement.clientWidth, problems = [];
  const where = el => { const c = el.closest(".jp-Cell"); return c ? "cell " + [...c.parentNode.children].indexOf(c) : "page"; };
  document.querySelectorAll("img").forEach((img, i) => {
    if (!img.complete || img.naturalWidth === 0) problems.push(`image ${i + 1} (${where(img)}) does not decode`);
    else if (img.getBoundingClientRect().right > page + 1) problems.push(`image ${i + 1} (${where(img)}) is wider than the page`);
  });
  document.querySelectorAll("table").forEach((t, i) => {
    const r = t.getBoundingClientRect();
    if (r.right > page + 1 || r.width > page) problems.push(`table ${i + 1} (${where(t)}) is ${Math.round(r.width)} px wide`);
  });
  document.querySelectorAll('[data-mime-type="application/vnd.jupyter.stderr"], .jp-OutputArea-output.jp-mod-error, .output_error')
    .forEach(el => problems.push(`${where(el)} shows an error or stderr: ${el.textContent.trim().slice(0, 80)}`));
  if (location.pathname.includes("/reader/")) {  // the reader's edition: tables, figures, sentences only
    document.querySelectorAll('[data-mime-type="text/plain"], [data-mime-type="application/vnd.jupyter.stdout"], [data-mime-type="application/vnd.jupyter.stderr"]')
      .forEach(el => problems.push(`${where(el)} shows a plain-text output block: ${el.textContent.trim().slice(0, 60)}`));
    const text = el => el.innerText || el.textContent || "";
    if (/\bNaN\b/.test(text(document.body))) problems.push("the page shows NaN");
    document.querySelectorAll(".jp-OutputArea-output").forEach(el => {
      const t = text(el);
      if (/\[\s*'[^'\]]*'\s*[,\]]|\{\s*'[^']*'\s*:/.test(t)) problems.push(`${where(el)} shows a Python list or dict: ${t.trim().slice(0, 60)}`);
      if (/Traceback \(most recent call last\)|^\s*File "[^"]+", line \d+/m.test(t)) problems.push(`${where(el)} shows a traceback`);
      const log = t.match(/^\s*(?:(?:DEBUG|INFO|WARNING|ERROR|CRITICAL)\b[:\s].*|(?:written|wrote|saved)\b:?\s+\S+\.(?:csv|html|png|json)\b.*)$/im);
      if (log) problems.push(`${where(el)} shows a log line: ${log[0].trim().slice(0, 60)}`);
    });
  }
  if (document.documentElement.scrollWidth > page + 1) problems.push(`the page scrolls sideways (${document.documentElement.scrollWidth} px)`);
  const out = document.createElement("pre");
  out.id = "report-check";
  out.textContent = JSON.stringify({images: document.images.length, tables: document.querySelectorAll("table").length, problems});
  document.body.appendChild(out);
});
</script>"""


def chromium(*args):
    return subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           f"--window-size={WIDTH},1000", "--virtual-time-budget=15000", *args],
                          capture_output=True, text=True, timeout=120)


def main(argv):
    work = Path(tempfile.mkdtemp(prefix="report-check-"))
    try:
        if argv:
            shutil.copytree(argv[0], work, dirs_exist_ok=True)
        else:
            render_committed(work)
        pages = sorted(work.glob("*.html")) + sorted((work / "reader").glob("*.html"))
        shots = Path(os.environ["SCREENSHOTS"]) if os.environ.get("SCREENSHOTS") else None
        failed = problems = 0
        for page in pages:
            name = str(page.relative_to(work))
            text = page.read_text(encoding="utf-8")
            page.write_text(text.replace("</body>", CHECK + "</body>"), encoding="utf-8")
            dom = chromium("--dump-dom", page.as_uri()).stdout
            start = dom.find('<pre id="report-check">')
            if start < 0:
                print(f"FAIL {name}: the page did not finish loading")
                failed += 1
                continue
            raw = dom[start + len('<pre id="report-check">'):dom.index("</pre>", start)]
            result = json.loads(raw.replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
            status = "FAIL" if result["problems"] else "ok  "
            failed += bool(result["problems"])
            problems += len(result["problems"])
            print(f"{status} {name}: {result['images']} image(s), {result['tables']} table(s)")
            for problem in result["problems"]:
                print(f"       {problem}")
            if shots:
                shots.mkdir(parents=True, exist_ok=True)
                page.write_text(text, encoding="utf-8")
                chromium(f"--screenshot={shots / name.replace('/', '_').replace('.html', '.png')}",
                         f"--window-size={WIDTH},3000", page.as_uri())
        print(f"{len(pages)} page(s) checked, {failed} with problems, {problems} problem(s) in all")
        return 1 if failed else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


sys.exit(main(sys.argv[1:]))
PY
