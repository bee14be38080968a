from cleaners.normalize import clean_space, dedup_key, key_tokens, strip_accents


def test_dedup_key_folds_tone_placement_case_and_quotes():
    assert dedup_key("Hoà bình “tích cực”") == dedup_key('hòa  bình "Tích cực"')
    assert dedup_key("Thuỷ") == dedup_key("thủy")


def test_dedup_key_keeps_diacritics_that_change_the_word():
    assert dedup_key("ma") != dedup_key("má")
    assert dedup_key("đi") != dedup_key("di")


def test_key_tokens_split_at_missing_space_after_period():
    # seed 003: the teaser runs two paragraphs together as "chủ trì.Năm qua"
    assert key_tokens("chủ trì.Năm qua") == key_tokens("chủ trì. Năm qua")


def test_clean_space_is_nfc_and_drops_zero_width():
    decomposed = "Vie\u0302\u0323t\u200b  Nam\u00a0"
    assert clean_space(decomposed) == "Việt Nam"


def test_strip_accents():
    assert strip_accents("Đối ngoại Dân trí") == "Doi ngoai Dan tri"
