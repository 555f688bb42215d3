"""SameImageBatchSampler keeps each image's samples in one batch (hard negatives for region-text CLIP)."""
from typing import List

import pytest
from torch.utils.data import SequentialSampler

from mmrec.datasets import SameImageBatchSampler


class _Samples:
    """A dataset stand-in: sample i belongs to image ``img_ids[i]``."""

    def __init__(self, img_ids: List[int]) -> None:
        self.img_ids = img_ids

    def __len__(self) -> int:
        return len(self.img_ids)

    def get_data_info(self, index: int) -> dict:
        return dict(img_id=self.img_ids[index])


class _Ordered(SequentialSampler):
    """A sampler over ``dataset`` in a given order (as a shuffling sampler would give it)."""

    def __init__(self, dataset: _Samples, order: List[int]) -> None:
        super().__init__(dataset)
        self.dataset, self.order = dataset, order

    def __iter__(self):
        return iter(self.order)

    def __len__(self) -> int:
        return len(self.order)


def test_batches_hold_whole_images_in_first_seen_order():
    dataset = _Samples([7, 7, 3, 3, 3, 9, 7, 9])
    sampler = SameImageBatchSampler(_Ordered(dataset, [5, 0, 2, 6, 1, 3, 7, 4]), batch_size=4)
    # image 9 (5, 7) seen first, then 7 (0, 6, 1), then 3 (2, 3, 4): 9 and 7 do not fit together in 4
    assert list(sampler) == [[5, 7], [0, 6, 1], [2, 3, 4]]
    assert len(sampler) == 3


def test_large_image_is_split_and_drop_last_drops_the_short_tail():
    dataset = _Samples([1] * 5 + [2])
    order = list(range(6))
    assert list(SameImageBatchSampler(_Ordered(dataset, order), batch_size=2)) == [[0, 1], [2, 3], [4, 5]]
    assert list(SameImageBatchSampler(_Ordered(dataset, order), batch_size=4)) == [[0, 1, 2, 3], [4, 5]]
    dropped = SameImageBatchSampler(_Ordered(dataset, order), batch_size=4, drop_last=True)
    assert list(dropped) == [[0, 1, 2, 3]] and len(dropped) == 1


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match='batch_size'):
        SameImageBatchSampler(_Ordered(_Samples([1]), [0]), batch_size=0)
    with pytest.raises(TypeError, match='get_data_info'):
        SameImageBatchSampler(SequentialSampler(range(3)), batch_size=2)
