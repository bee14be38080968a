"""Corpus-level dedup across runs: near-duplicates, canonical choice, site boilerplate, state rebuild."""

import random
import shutil
from pathlib import Path

import duckdb

from dataset import store
from dataset.commit import commit
from dataset.runner import process_batch
from tests.helpers import BODIES, article_html

FOOTER = "Mời quý vị gửi ý kiến đóng góp về địa chỉ email toasoan@baomau.vn để được giải đáp sớm nhất."


def write_page(folder: Path, name: str, url: str, paragraphs: list[str], published: str = "2026-03-07T08:00:00+07:00"):
    folder.mkdir(parents=True, exist_ok=True)
    html = article_html(name, url).replace("2026-03-07T08:07:18+07:00", published)
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    start, end = html.index("<article>"), html.index("</article>")
    html = html[:start] + f"<article><h1>Bài {name}</h1>{body}" + html[end:]
    path = folder / f"{name}.html"
    path.write_text(html, encoding="utf-8")
    return str(path)


def run(refs, out, run_id):
    staged = process_batch(refs, out / "_staging" / run_id, 0)
    return commit([Path(staged.clean_path)] if staged.clean_path else [],
                        [Path(staged.rejects_path)] if staged.rejects_path else [], out, run_id)


def edited(paragraphs, share, seed=7):
    rng = random.Random(seed)
    words = " ".join(paragraphs).split()
    for i in rng.sample(range(len(words)), int(len(words) * share)):
        words[i] = rng.choice(["mới", "thêm", "nhiều", "đã", "sẽ"])
    return [" ".join(words)]


LONG = BODIES[0] + BODIES[1]  # one article long enough that a 5% edit is a few words


def test_near_duplicate_in_a_later_run_points_to_the_kept_copy(tmp_path):
    out = tmp_path / "clean"
    run([write_page(tmp_path / "in", "goc", "https://a.vn/goc", LONG)], out, "r1")
    copy = write_page(tmp_path / "in", "sua", "https://b.vn/sua", edited(LONG, 0.05))
    result = run([copy], out, "r2")
    assert result["written"] == 0 and result["dedup"]["near_duplicates"] == 1
    (reject,) = [r for r in store.read_rejects(out).to_pylist() if r["reason"] == "duplicate"]
    kept = store.read_clean(out).to_pylist()[0]
    assert reject["duplicate_of"] == kept["doc_id"] and "near-duplicate" in reject["message"]


def test_distinct_articles_are_not_duplicates(tmp_path):
    out = tmp_path / "clean"
    refs = [write_page(tmp_path / "in", f"p{i}", f"https://a.vn/{i}", body) for i, body in enumerate(BODIES)]
    assert run(refs, out, "r1")["written"] == 3


def test_the_earliest_copy_is_kept_whatever_the_input_order(tmp_path):
    kept = []
    for order in (0, 1):
        folder = tmp_path / f"in{order}"
        early = write_page(folder, "early", "https://a.vn/early", LONG, "2026-03-01T08:00:00+07:00")
        late = write_page(folder, "late", "https://b.vn/late", edited(LONG, 0.02), "2026-03-05T08:00:00+07:00")
        out = tmp_path / f"clean{order}"
        run([early, late] if order == 0 else [late, early], out, "r1")
        kept.append(store.read_clean(out).column("url").to_pylist())
    assert kept == [["https://a.vn/early"], ["https://a.vn/early"]]


def test_site_boilerplate_is_counted_across_runs(tmp_path):
    out = tmp_path / "clean"
    first = [write_page(tmp_path / "in", f"a{i}", f"https://baomau.vn/{i}", [*BODIES[i], FOOTER]) for i in (0, 1)]
    assert run(first, out, "r1")["dedup"]["boilerplate_paragraphs"] == 0  # seen twice: could be chance
    third = write_page(tmp_path / "in", "a2", "https://baomau.vn/2", [*BODIES[2], FOOTER])
    result = run([third], out, "r2")
    assert result["dedup"]["boilerplate_paragraphs"] == 1
    rows = {r["url"]: r for r in store.read_clean(out).to_pylist()}
    assert FOOTER not in rows["https://baomau.vn/2"]["text"]
    assert BODIES[2][0] in rows["https://baomau.vn/2"]["text"]
    other_body = ["Đội tuyển bóng đá quốc gia đã có buổi tập đầu tiên chuẩn bị cho trận đấu vòng loại vào tuần sau.",
                  "Huấn luyện viên trưởng cho biết toàn đội đều khỏe mạnh và sẵn sàng cho mục tiêu giành chiến thắng."]
    other_site = write_page(tmp_path / "in", "x", "https://other.vn/x", [*other_body, FOOTER])
    run([other_site], out, "r3")
    assert FOOTER in {r["url"]: r for r in store.read_clean(out).to_pylist()}["https://other.vn/x"]["text"]
    counts = duckdb.execute(
        f"SELECT n_docs FROM read_parquet('{out}/_state/paragraph_counts/site=baomau.vn/*.parquet') ORDER BY n_docs DESC LIMIT 1"
    ).fetchone()
    assert counts == (3,)


def test_rerun_does_not_count_twice_and_deleted_state_is_rebuilt(tmp_path):
    out = tmp_path / "clean"
    refs = [write_page(tmp_path / "in", f"a{i}", f"https://baomau.vn/{i}", [*BODIES[i], FOOTER]) for i in (0, 1)]
    run(refs, out, "r1")
    run(refs, out, "r2")  # same inputs: nothing new, nothing counted
    third = write_page(tmp_path / "in", "a2", "https://baomau.vn/2", [*BODIES[2], FOOTER])
    shutil.rmtree(out / "_state")
    result = run([third], out, "r3")
    assert result["dedup"]["boilerplate_paragraphs"] == 1  # the rebuilt counts (2) plus this page make 3
    copy = write_page(tmp_path / "in", "copy", "https://c.vn/copy", edited([*BODIES[0], FOOTER], 0.02))
    shutil.rmtree(out / "_state")
    assert run([copy], out, "r4")["dedup"]["near_duplicates"] == 1
