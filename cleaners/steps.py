"""The cleaning steps. Each is a pure function of a `Page` that takes blocks out of the body, with a reason.

The order matters and lives in `STEPS`: widgets and dates go first so that the title finder sees only
candidate text; repeats are found before the lead is chosen, so a truncated teaser never becomes the lead.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Callable

from cleaners.dates import is_date_line, parse_visible
from cleaners.normalize import dedup_key, strip_accents
from cleaners.page import ATTRIBUTION, AUTHOR, BODY, CAPTION, LEAD, TITLE, Block, Page
from cleaners.rules import COMMON_WIDGETS, pattern

Step = Callable[[Page], None]

# "[Video] Người truyền cảm hứng ...", "[Infographic] ...": items of a media list, never body text.
MEDIA_ITEM = pattern(r"^\[(?:video|clip|ảnh|photo|infographics?|emagazine|e-magazine|longform|podcast|audio|trực tiếp|live|gallery)\]")
URL_LINE = pattern(r"^(?:https?://|www\.)\S+$")
# "(Chinhphu.vn) - ", "(Dân trí) - ": the news agency or site that wrote the story, at the start of the lead.
DATELINE_SOURCE = re.compile(r"^\((?P<src>[^()]{2,40})\)\s*[-–—]+\s*")
SENTENCE_END = re.compile(r"[.:;…]['\"”’»)]*$")
ELLIPSIS_END = re.compile(r"(?:\.{2,}|…)['\"”’»)]*$")
BREADCRUMB_SEPARATORS = re.compile(r"\s*(?:>|»|/|›|\|)\s*")
NAME_JOINERS = frozenset({"-", "–", "&", ",", "và", "and", "/"})

# Calibrated on the seeds and the devset: related headlines run to 25 words, body intertitles rarely
# past 20, and every body paragraph seen ends with sentence punctuation.
HEADLINE_MAX_WORDS = 30
# A related blurb under a doubled headline (seed 004) is a one-to-three sentence summary.
BLURB_MAX_CHARS = 600
# Near-duplicate paragraphs: Jaccard of word bigrams. The lead/body repeat of seed 001 (two words
# inserted in 45) scores 0.87; distinct paragraphs on one topic score below 0.4.
NEAR_DUPLICATE_JACCARD = 0.8
NEAR_DUPLICATE_MIN_WORDS = 8
# A bigram found in more paragraphs of the page than this ("của các", "theo báo", or any bigram on a
# page of 100,000 short paragraphs) is too common to find near-duplicates by: each paragraph is then
# compared with a bounded number of others, so the step grows linearly with the page (with every
# earlier paragraph sharing a bigram, 145,624 short ones took minutes). A near-duplicate still shares
# its rarer bigrams; only a pair made of nothing but such common bigrams goes unnoticed. On the 132
# pages of ../shared/devset-readability most pages hold no bigram in more than 30 paragraphs; the
# most is "new zealand" in 326 of a Wikipedia page's 577 blocks.
NEAR_DUPLICATE_MAX_SHARING = 8
# A truncated teaser must carry enough words that its prefix match is not a coincidence.
TEASER_MIN_WORDS = 6
# A teaser is compared with the earlier kept blocks that open with its first words (all of them but
# the last, which may be cut), the latest this many of them: a page of thousands of blocks opening
# alike would otherwise compare each teaser with all of them.
_TEASER_KEY_WORDS = TEASER_MIN_WORDS - 1
TEASER_MAX_CANDIDATES = 64
# How many lines at the top may hold the title, breadcrumb and date of a text dump.
HEADER_WINDOW = 8
BYLINE_MAX_WORDS = 6
# Tag lists and promos are short ("Từ khóa: a, b, c"); a longer line that starts like one is prose.
WIDGET_PREFIX_MAX_WORDS = 20
# "Theo Hồ Hương", "Bài và ảnh: Minh Anh", "By Jane Doe": the name is what follows.
BYLINE_PREFIX = re.compile(r"^(?:theo|by|bài(?:\s+và\s+ảnh)?|tác giả|phóng viên|nhóm phóng viên)\s*:?\s+(?=\S)", re.IGNORECASE)
# UI words glued to the end of a source line by the markup ("Theo Nhịp sống thị trường Copy link").
TRAILING_WIDGET = re.compile(r"\s+(?:copy link|sao chép (?:liên kết|link)|chia sẻ|share)\s*$", re.IGNORECASE)
# "Minh Hòa (tổng hợp)", "Thu Hà (theo Reuters)": a byline may end in a parenthesis about sourcing.
BYLINE_NOTE = re.compile(r"\s*\((?P<note>[^()]{1,40})\)\s*$")
NOTE_SOURCE = re.compile(r"^(?:theo|nguồn|via|from)\s*:?\s*(?P<src>.+)$", re.IGNORECASE)
TAIL_WINDOW = 4


def _headline_like(block: Block) -> bool:
    words = block.text.split()
    return len(words) <= HEADLINE_MAX_WORDS and not SENTENCE_END.search(block.text)


def _is_link(blocks: list[Block], i: int) -> bool:
    return 0 <= i < len(blocks) and blocks[i].is_link and blocks[i].kind != "li"


def _is_doubled(text: str) -> bool:
    """ "Tiêu đề Tiêu đề": a related headline printed twice on one line (link text plus image alt)."""
    n = len(text)
    if n < 21 or n % 2 == 0:
        return False
    half = n // 2
    return text[half] == " " and text[:half] == text[half + 1 :]


def _alnum(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", strip_accents(text).lower())


def mark_widgets(page: Page) -> None:
    """Drop widget lines, separators, media-list items, bare URLs, unaccented URL slugs and the site's name."""
    widgets = COMMON_WIDGETS | (page.rules.widget_lines if page.rules else frozenset())
    # "BÁO ĐIỆN TỬ CHÍNH PHỦ": the masthead as a line of text
    widgets |= {dedup_key(name) for name in page.meta.site_names if len(name.split()) >= 2}
    prefix = page.rules.widget_prefix if page.rules else None
    slugs = page.rules is not None and page.rules.accented
    for block in page.body()[:3]:
        if _masthead(block.text, page):
            block.drop("masthead")
    for block in page.body():
        key = block.key
        if not key:
            block.drop("separator")
        elif key in widgets or key.rstrip(" 0123456789") in widgets or _widget_prefixed(block.text, prefix):
            block.drop("widget")
        elif MEDIA_ITEM.search(block.text):
            block.drop("media_list")
        elif URL_LINE.search(block.text) and not page.from_html:
            # a text dump's bare URL is a share or source link; in HTML the extractor kept it as content
            # (a petition link, a reference), and trafilatura already leaves out share widgets
            block.drop("url")
        elif slugs and _is_slug(block.text):
            block.drop("url_slug")


def _widget_prefixed(text: str, prefix: re.Pattern[str] | None) -> bool:
    # "Từ khóa: a, b, c" or "Tải ứng dụng ...": short, and no sentence (unless a list of short items)
    if prefix is None or len(text.split()) > WIDGET_PREFIX_MAX_WORDS or not prefix.search(text):
        return False
    return not SENTENCE_END.search(text) or all(len(p.split()) <= 4 for p in re.split(r"[,;|]", text.split(":", 1)[-1]))


def _masthead(text: str, page: Page) -> bool:
    # "BÁO ĐIỆN TỬ CHÍNH PHỦ" on baochinhphu.vn: a short capitalized line near the top that spells the
    # site's host label (as a subsequence: "baochinhphu" in "baodientuchinhphu").
    label = _alnum(page.meta.site.split(".")[0]) if page.meta.site else ""
    if len(label) < 4 or len(text.split()) > 6 or not text.isupper():
        return False
    letters = iter(_alnum(text))
    return all(ch in letters for ch in label)


def _is_slug(text: str) -> bool:
    # "infographic ky nang tranh bay lua dao du lich mua cao diem": a URL slug printed as text. In an
    # accented language, four or more lowercase ASCII words with no punctuation are never prose.
    return text.isascii() and text == text.lower() and len(text.split()) >= 4 and re.fullmatch(r"[a-z0-9 \-]+", text) is not None


def mark_breadcrumb(page: Page) -> None:
    """Drop a breadcrumb line near the top of a text dump and keep its first crumb as the category."""
    homes = page.rules.home_crumbs if page.rules else ("Home",)
    for block in page.body()[:HEADER_WINDOW]:
        text = block.text
        if len(text.split()) > 12 or SENTENCE_END.search(text) or re.search(r"\d", text):
            continue
        crumbs: list[str] = []
        for home in homes:
            if dedup_key(text).startswith(dedup_key(home) + " "):
                rest = text[len(home) :].strip(" >»/›|")
                crumbs = [c for c in BREADCRUMB_SEPARATORS.split(rest) if c] or [rest]
                break
        if not crumbs and len(BREADCRUMB_SEPARATORS.findall(text)) >= 2:
            crumbs = [c for c in BREADCRUMB_SEPARATORS.split(text) if c and dedup_key(c) not in map(dedup_key, homes)]
        if crumbs:
            block.drop("breadcrumb", role="category")
            if page.meta.category is None:
                page.meta.category = crumbs[0]
            return


def _date_words(page: Page) -> re.Pattern[str] | None:
    if page.rules is None:
        return None
    return re.compile(f"{page.rules.weekdays.pattern}|{page.rules.date_labels.pattern}", re.IGNORECASE)


def mark_datelines(page: Page) -> None:
    """Drop lines that hold only a date; the first one after the title (or with a time) is the publication date."""
    extra = _date_words(page)
    title_seen = False
    for block in page.blocks:
        if block.role == TITLE:
            title_seen = True
            continue
        if block.role != BODY or not is_date_line(block.text, extra):
            continue
        when, has_time = parse_visible(block.text)
        weekday = bool(page.rules and page.rules.weekdays.search(block.text))
        if weekday and not has_time and not title_seen:
            # "Thứ bảy, 15/05/2021" above the title: the site's today-date widget (seed 003).
            block.drop("today_date")
            continue
        block.drop("dateline")
        if page.meta.published is None and when is not None:
            page.meta.published = when


def find_title(page: Page) -> None:
    """Mark the title: the markup's title in HTML, else the first short unpunctuated line of a text dump."""
    if page.meta.title is None and not page.from_html:
        for block in page.body()[:HEADER_WINDOW]:
            text = block.text
            if DATELINE_SOURCE.search(text) or (SENTENCE_END.search(text) and len(text.split()) > HEADLINE_MAX_WORDS // 2):
                break  # the article text has begun: a title would have come before it
            if len(text) > 250 or SENTENCE_END.search(text):
                continue
            if page.rules is not None and page.rules.attribution_line.search(text):
                continue
            if is_date_line(text, _date_words(page)):
                continue
            if page.rules is not None and page.rules.caption_credit.search(text):
                continue
            if len(text.split()) < 3:
                continue
            page.meta.title = text
            block.drop("title", role=TITLE)
            break
    if page.meta.title:
        title_key = dedup_key(page.meta.title)
        for block in page.body():
            if block.key == title_key:
                block.drop("repeated_title")


def mark_related(page: Page) -> None:
    """Drop related-article blocks: their headings, headlines, blurbs, doubled headlines and link lists."""
    headings = page.rules.related_headings if page.rules else frozenset()
    prefix = page.rules.related_prefix if page.rules else None
    lone_links = page.rules is not None and page.rules.lone_link_headlines
    blocks = page.blocks
    # the next block that is not the title, for each position (no step below makes a title: found once,
    # in one backward pass; searching forward from each block costs the square of the blocks)
    following: list[Block | None] = [None] * len(blocks)
    for i in range(len(blocks) - 2, -1, -1):
        after = blocks[i + 1]
        following[i] = after if after.role != TITLE else following[i + 1]
    in_zone = after_headline = False
    for i, block in enumerate(blocks):
        if block.role != BODY:
            continue
        nxt = following[i]
        if block.key in headings:
            block.drop("related_heading")
            in_zone, after_headline = True, False
        elif prefix is not None and prefix.search(block.text) and len(block.text.split()) <= HEADLINE_MAX_WORDS + 5:
            block.drop("related_link")
        elif _is_doubled(block.text):
            block.drop("related_headline")
            if nxt is not None and nxt.role == BODY and not _headline_like(nxt) and len(nxt.text) <= BLURB_MAX_CHARS:
                nxt.drop("related_blurb")
        elif block.kind == "li" and block.is_link and (
            (nxt is not None and nxt.kind == "li" and nxt.is_link)
            or (i > 0 and blocks[i - 1].kind == "li" and blocks[i - 1].is_link)
        ):
            block.drop("link_list")
        elif block.is_link and _headline_like(block) and block.kind != "li" and len(block.text.split()) >= 3 and (
            lone_links or _is_link(blocks, i - 1) or _is_link(blocks, i + 1)
        ):
            # a paragraph that is nothing but one headline-like link: a "read also" pointer. A run of them
            # is a link list in any language; a lone one is one only where the language's sites print
            # inline related headlines that way (Vietnamese); elsewhere it is often a subtitle or a source.
            block.drop("link_headline")
        elif in_zone and (_headline_like(block) or block.is_link):
            block.drop("related_headline")
            after_headline = True
        elif in_zone and after_headline and (nxt is None or nxt.role != BODY or _headline_like(nxt)):
            block.drop("related_blurb")
            after_headline = False
        else:
            in_zone = after_headline = False


def mark_captions(page: Page) -> None:
    """Move image captions ("... Ảnh: VOV", figcaption text) out of the body into `captions`."""
    credit = page.rules.caption_credit if page.rules else None
    known = {dedup_key(c) for c in page.meta.captions}
    for block in page.body():
        if block.key in known or (credit is not None and credit.search(block.text)):
            block.drop("caption", role=CAPTION)


def _jaccard(a: set[int], b: set[int]) -> float:
    common = len(a & b)
    return common / (len(a) + len(b) - common)


def _is_prefix(short: list[str], long: list[str]) -> bool:
    """True when `short` starts `long`, the last word of `short` possibly cut mid-word."""
    if len(short) > len(long) or not short:
        return False
    return short[:-1] == long[: len(short) - 1] and long[len(short) - 1].startswith(short[-1])


def _bigrams(words: list[str]) -> set[int]:
    # as hashes: a set of ints is built and compared several times faster than one of tuples, and is a
    # fraction of its size; two distinct bigrams of one page share a 64-bit hash with negligible odds
    return set(map(hash, itertools.pairwise(words)))


def mark_repeats(page: Page) -> None:
    """Drop repeats within the page: exact and near-exact copies, and truncated "..." teasers of a later paragraph."""
    body = page.body()
    # A block's words are its key split at spaces, made again when needed rather than kept for every
    # block (a page of 100,000 blocks would hold a million strings).
    keys = [b.key for b in body]
    starting: dict[int, list[int]] = {}  # hash of the first words -> kept blocks
    postings: defaultdict[int, list[int]] = defaultdict(list)  # bigram -> kept blocks long enough to compare
    occurrences: dict[int, int] = {}  # bigram -> blocks long enough to compare holding it
    words_in: dict[int, int] = {}  # indexed block -> its number of words
    seen: set[str] = set()
    for i, block in enumerate(body):
        key = keys[i]
        if key in seen:
            block.drop("duplicate_paragraph")
            continue
        words = key.split()
        n = len(words)
        if n >= TEASER_MIN_WORDS and ELLIPSIS_END.search(block.text):
            following = [w for j in range(i + 1, min(i + 8, len(body))) for w in keys[j].split()]
            # kept blocks that open with the same words (all but the teaser's last, maybe cut, word)
            earlier = (keys[j].split() for j in starting.get(hash(tuple(words[:_TEASER_KEY_WORDS])), ())[-TEASER_MAX_CANDIDATES:])
            if _is_prefix(words, following) or any(_is_prefix(words, t) for t in earlier):
                block.drop("truncated_teaser")
                continue
        if n >= NEAR_DUPLICATE_MIN_WORDS:
            grams = _bigrams(words)
            # Earlier kept blocks sharing a bigram, found through an index (comparing with every earlier
            # block is quadratic: 4,000 distinct paragraphs took 38 s). Common bigrams are left out of it.
            rare = []
            for gram in grams:
                occurrences[gram] = count = occurrences.get(gram, 0) + 1
                if count <= NEAR_DUPLICATE_MAX_SHARING:
                    rare.append(gram)
            # A near-duplicate holds NEAR_DUPLICATE_JACCARD of this block's bigrams, so at least `least` of
            # its rare ones, and it is in the index under each (an earlier block indexed every bigram of
            # its own that is still rare). Of any `probe` of the rare bigrams it then holds `hits` or more
            # (pigeonhole): only the rarest `probe` are looked up, and only blocks found under `hits` of
            # them are compared. A handful per block, where all blocks sharing a bigram were thousands.
            least = int(NEAR_DUPLICATE_JACCARD * len(grams)) - (len(grams) - len(rare))
            probe = min(len(rare), len(rare) - least + 2)
            hits = max(1, least - (len(rare) - probe))
            rarest = sorted(rare, key=occurrences.__getitem__)[:probe]
            found = Counter(itertools.chain.from_iterable(postings.get(gram, ()) for gram in rarest))
            for j in sorted(j for j, count in found.items() if count >= hits):
                if 0.8 * n <= words_in[j] <= 1.25 * n and _jaccard(grams, _bigrams(keys[j].split())) >= NEAR_DUPLICATE_JACCARD:
                    block.drop("near_duplicate")
                    break
            if block.role != BODY:
                continue
            for gram in rare:
                postings[gram].append(i)
            words_in[i] = n
        seen.add(key)
        if n >= _TEASER_KEY_WORDS:
            starting.setdefault(hash(tuple(words[:_TEASER_KEY_WORDS])), []).append(i)


def _site_like(name: str, page: Page) -> bool:
    """True when a name is the publisher itself ("Dân Trí" on dantri.com.vn), not a person or another source."""
    name_key = _alnum(name)
    if not name_key:
        return True
    labels = {_alnum(page.meta.site.split(".")[0])} if page.meta.site else set()
    labels |= {_alnum(n) for n in page.meta.site_names}
    labels.discard("")
    return any(label in name_key or name_key in label for label in labels if len(label) >= 4)


def _byline_like(text: str) -> bool:
    text = BYLINE_NOTE.sub("", text)
    words = [w for w in re.split(r"\s+|(?<=,)", text.strip()) if w]
    names = [w for w in words if w.lower() not in NAME_JOINERS]
    if not names or len(names) > BYLINE_MAX_WORDS or len(text) > 60 or re.search(r"\d|[:;!?]", text):
        return False
    return all(w[0].isupper() or w[0] in "(\"“" for w in names) and not text.endswith((",",))


def mark_tail(page: Page) -> None:
    """At the end of the body: "Theo ..."/"Nguồn: ..." lines to `source_attribution`, a bare name to `author`."""
    attribution = page.rules.attribution_line if page.rules else None
    # A "Theo <source>" link is often already out of the body as a link headline; look at those too.
    blocks = page.blocks
    last_body = max((i for i, b in enumerate(blocks) if b.role == BODY), default=-1)
    end = next((i for i in range(last_body + 1, len(blocks)) if blocks[i].reason == "related_heading"), len(blocks))
    tail = [b for b in blocks[:end] if b.role == BODY or b.reason in ("link_headline", "related_link")][-TAIL_WINDOW:]
    for block in reversed(tail):
        text = TRAILING_WIDGET.sub("", block.text).strip("() ")
        match = attribution.search(text) if attribution else None
        if match:
            block.drop("attribution", role=ATTRIBUTION)
            if page.meta.source_attribution is None:
                page.meta.source_attribution = match.group("src").strip()
        elif block.role != BODY:
            continue
        elif _byline_like(block.text) and len(page.body()) > 1:
            block.drop("byline", role=AUTHOR)
            note = BYLINE_NOTE.search(block.text)
            source = NOTE_SOURCE.match(note.group("note").strip()) if note else None
            if source and page.meta.source_attribution is None:
                page.meta.source_attribution = source.group("src").strip()
        elif page.meta.source_names and block.key in page.meta.source_names:
            block.drop("attribution", role=ATTRIBUTION)  # the page's source box, shown as a line
            if page.meta.source_attribution is None:
                page.meta.source_attribution = block.text
        else:
            break


def mark_lead(page: Page) -> None:
    """Mark the lead: the visible block that matches the page description, else the first paragraph of a dump."""
    body = page.body()
    if not body:
        return
    if page.from_html:
        wanted = dedup_key(page.meta.visible_lead or page.meta.description or "")
        lead = next((b for b in body[:3] if wanted and b.key == wanted), None)
    else:
        lead = body[0] if not _headline_like(body[0]) else None
    if lead is not None:
        lead.drop("lead", role=LEAD)
    match = DATELINE_SOURCE.search((lead.text if lead else None) or page.meta.visible_lead or body[0].text)
    if match and page.meta.source_attribution is None and not _site_like(match.group("src"), page):
        page.meta.source_attribution = match.group("src").strip()


# Three teasers that each open with a dateline ("(Chinhphu.vn) - ...") make a listing: an article has
# at most one, at the start of its lead.
LISTING_MIN_DATELINES = 3


def mark_listing(page: Page) -> None:
    """Tell listing pages (home, section, tag pages) from articles; the runner rejects listings."""
    if page.from_html and not page.meta.article_signs:
        page.meta.listing = "no article markup and no publication date (a listing page)"
        return
    datelines = sum(1 for b in page.blocks if b.role in (BODY, LEAD) and DATELINE_SOURCE.search(b.text))
    if datelines >= LISTING_MIN_DATELINES:
        page.meta.listing = f"{datelines} teasers opening with a dateline (a listing page)"


STEPS: tuple[Step, ...] = (
    mark_widgets,
    mark_breadcrumb,
    find_title,
    mark_datelines,
    mark_related,
    mark_captions,
    mark_repeats,
    mark_tail,
    mark_lead,
    mark_listing,
)
