"""Where `clean_html`'s time goes: a pyinstrument profile over the sample pages, as text.

    uv run python bench/profile_clean.py [--rounds 20] [--html profile.html] [PAGES_DIR ...]

Pages: the bundled HTML samples (raw/samples/html) plus the shared devset, when present (as
bench/speed.py). The text shows the call tree with each frame's share of the wall time; the
summary table groups it by stage: parse, element roles and metadata, the article scope,
trafilatura, language, the cleaning steps.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pyinstrument import Profiler

from bench.speed import ROOT, load_pages
from cleaners import clean_html

# Stages of clean_html by the function that runs them (first match along the call path).
STAGES = (
    ("trafilatura (main text)", "_trafilatura"),
    ("cleaning steps", "_run"),
    ("metadata", "page_meta"),
    ("element roles + related pruning", "element_roles"),
    ("element roles + related pruning", "prune_related"),
    ("article scope", "paragraph_mass"),
    ("article scope", "article_scope"),
    ("parse", "parse_html"),
    ("decode", "decode_bytes"),
    ("language", "detect_lang"),
)


def stage_shares(profiler: Profiler) -> dict[str, float]:
    """Seconds per stage: each sample's time goes to the outermost stage function on its call path."""
    session = profiler.last_session
    assert session is not None
    root = session.root_frame()
    spent: dict[str, float] = {}

    def walk(frame: object, stage: str | None) -> None:
        name = getattr(frame, "function", "")
        if stage is None:
            stage = next((label for label, fn in STAGES if fn == name), None)
        children = getattr(frame, "children", [])
        own = getattr(frame, "time", 0.0) - sum(getattr(c, "time", 0.0) for c in children)
        spent[stage or "other"] = spent.get(stage or "other", 0.0) + own
        for child in children:
            walk(child, stage)

    if root is not None:
        walk(root, None)
    return spent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--html", type=Path, help="also write pyinstrument's interactive HTML report here")
    args = parser.parse_args()
    folders = args.folders or [p for p in (ROOT / "raw" / "samples" / "html", ROOT.parent / "shared" / "devset") if p.exists()]
    pages = load_pages(folders)
    for page in pages:  # warm-up: imports, regex compilation, caches
        clean_html(page)
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(args.rounds):
        for page in pages:
            clean_html(page)
    profiler.stop()
    spent = stage_shares(profiler)
    total = sum(spent.values())
    print(f"{len(pages)} pages x {args.rounds} rounds, {total:.2f} s sampled ({1000 * total / (len(pages) * args.rounds):.1f} ms a page)")
    for stage, seconds in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"  {stage:<34} {100 * seconds / total:5.1f}%")
    print()
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    if args.html:
        args.html.write_text(profiler.output_html(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
