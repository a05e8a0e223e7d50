"""A record is matched in the language its text is written in, whatever was declared."""

import pytest

from ..factories import make_need


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_chinese_need_declared_english_is_indexed_and_matched_as_chinese(world, live_matching):
    from matchmaking.index import get_index
    from matchmaking.indexing import need_query
    from matchmaking.models import RecordKind

    need = make_need(
        world.ent_a, title="固态电池电解质", description="提高储能电池安全性的复合固态电解质。", language="en"
    )
    assert get_index().entry(RecordKind.NEED, need.pk).language == "zh-hans"
    assert need_query(need).language == "zh-hans"
