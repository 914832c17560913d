from __future__ import annotations

from qingzhai.core.ids import new_id


def test_ids_made_in_a_burst_sort_in_creation_order_and_are_unique():
    ids = [new_id() for _ in range(20000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert all(len(i) == 26 for i in ids)


def test_bulk_ids_interleave_with_single_ids_in_order():
    from qingzhai.core.ids import new_ids

    ids = [new_id(), *new_ids(5000), new_id(), *new_ids(3), new_id()]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids) == 5006
    assert new_ids(0) == []
