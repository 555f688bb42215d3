"""Batch samplers for region-text CLIP training."""
from collections import OrderedDict
from typing import Iterator, List

from mmdet.registry import DATA_SAMPLERS
from torch.utils.data import BatchSampler, Sampler


@DATA_SAMPLERS.register_module()
class SameImageBatchSampler(BatchSampler):
    """Batches made of whole images: all the samples of one image (its expressions, each a crop of its
    referred object) are kept together, so a batch holds several objects of each scene.

    A contrastive batch of crops from unrelated images is easy: the scene alone tells the crops apart.
    At test time the REC methods choose among the objects of *one* image, so the negatives that teach the
    right thing are the other objects of the same image: a crop of the small red circle against "the
    large red circle", a blurred scene highlighting the left square against "the square on the right".

    Images come in the order of their first sample in ``sampler`` (shuffled by a shuffling sampler); their
    samples fill batches of up to ``batch_size``, an image that does not fit in the current batch starts
    the next one (an image with more than ``batch_size`` samples is split). In distributed training each
    rank groups only the samples its sampler gives it.

    Args:
        sampler: the base sampler (e.g. ``DefaultSampler``); its ``dataset`` must have ``get_data_info``
            with an ``img_id`` per sample (``REFERDataset`` with ``one_expression_per_sample=True``).
        batch_size: most samples per batch.
        drop_last: drop a last batch smaller than ``batch_size``.
    """

    def __init__(self, sampler: Sampler, batch_size: int, drop_last: bool = False) -> None:
        if not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f'SameImageBatchSampler batch_size must be a positive integer, got {batch_size!r}')
        if not hasattr(getattr(sampler, 'dataset', None), 'get_data_info'):
            raise TypeError('SameImageBatchSampler needs a sampler with a `dataset` that has get_data_info '
                            f'(a REFERDataset), got {type(sampler).__name__}')
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def _image_groups(self) -> List[List[int]]:
        groups: 'OrderedDict[object, List[int]]' = OrderedDict()
        dataset = self.sampler.dataset
        for index in self.sampler:
            info = dataset.get_data_info(index)
            key = info.get('img_id', info.get('img_path', index))
            groups.setdefault(key, []).append(index)
        return list(groups.values())

    def __iter__(self) -> Iterator[List[int]]:
        batch: List[int] = []
        for group in self._image_groups():
            if batch and len(batch) + len(group) > self.batch_size:
                yield batch
                batch = []
            while len(group) > self.batch_size:  # an image with more samples than a batch holds
                yield group[:self.batch_size]
                group = group[self.batch_size:]
            batch.extend(group)
        if batch and (len(batch) == self.batch_size or not self.drop_last):
            yield batch

    def __len__(self) -> int:
        return sum(1 for _ in self)
