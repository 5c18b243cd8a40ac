"""The Japanese synonym bridge: a question's word the deck never writes meets the deck's word
of the same Sudachi synonym group (real Sudachi dictionary, tiny texts)."""
import pytest

from qa.confidence import term_groups
from qa.errors import IndexLoadError
from qa.segmenting import terms
from qa.synonyms import build_synonyms, deck_terms, read_synonyms, save_synonyms

DECK = ("国家集積回路産業投資基金による半導体投資。経済対策の総額は６兆ドル。"
        "ジェトロによる出展支援。英国が加入を申請。")


@pytest.fixture(scope="module")
def table():
    return build_synonyms([DECK])


def test_a_word_the_deck_writes_otherwise_gets_the_decks_terms(table):
    assert table.of("大型ファンドの規模は？") == ((("ファンド",), ("基金",)),)
    assert ("合計",) in [own for own, _ in table.of("合計でいくら？")]
    assert "総額" in deck_terms(table.of("合計でいくら？"))


def test_a_long_name_is_read_whole(table):
    # 日本貿易振興機構 is one Sudachi unit, in the group of ジェトロ (whose terms the deck indexes)
    pairs = table.of("日本貿易振興機構が設けたものは？")
    assert pairs and pairs[0][0] == tuple(terms("日本貿易振興機構"))
    assert pairs[0][1] == tuple(terms("ジェトロ"))


def test_words_the_deck_writes_and_question_words_are_left_alone(table):
    assert table.of("基金の総額は？") == ()  # the deck's own words
    assert table.of("英国について教えてください") == ()  # 教える is a question word
    assert table.of("ラテンアメリカの成長率") == ()  # not the アメリカ (米国) inside a longer word


def test_groups_count_a_word_found_where_the_decks_word_is(table):
    pairs = table.of("大型ファンドの規模は？")
    groups = term_groups("大型ファンドの規模は？", terms("大型ファンドの規模は？") + deck_terms(pairs), pairs)
    assert ("ファンド", "基金") in groups
    assert ("基金",) not in groups  # the deck's word is not a second thing asked


def test_the_table_round_trips_and_a_corrupt_file_is_refused(table, tmp_path):
    path = tmp_path / "synonyms.json"
    save_synonyms(table, path)
    assert read_synonyms(path) == table
    path.write_text("[1, 2", encoding="utf-8")
    with pytest.raises(IndexLoadError, match="rebuild"):
        read_synonyms(path)
    with pytest.raises(IndexLoadError, match="rebuild"):
        read_synonyms(tmp_path / "missing.json")
