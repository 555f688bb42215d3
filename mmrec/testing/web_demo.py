"""Files for tests of the web demo: a small synthetic REFER root, its data config and a predictions file in
``tools/test.py --out``'s format whose right and wrong rows are known; PNG files of any announced size."""
import json
import os
import os.path as osp
import struct
import zlib
from dataclasses import dataclass
from typing import List

from mmrec.paths import repo_path

#: Every ``WRONG_EVERY``-th expression's prediction is moved off its object (IoU 0): a known wrong answer.
WRONG_EVERY = 3


@dataclass
class BrowseFixture:
    data_root: str
    data_config: str
    predictions: str
    rows: List[dict]


def write_data_config(path: str, data_root: str, split: str = 'val') -> str:
    """A data config over the synthetic data set base with ``data_root`` and ``split``."""
    with open(path, 'w') as stream:
        stream.write(f"_base_ = [{repo_path('configs', '_base_', 'datasets', 'synthetic_rec.py')!r}]\n"
                     f"data_root = {data_root.rstrip('/') + '/'!r}\n"
                     f"test_dataloader = dict(dataset=dict(data_root=data_root, split={split!r}))\n")
    return path


def write_predictions(path: str, rows: List[dict]) -> str:
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as stream:
        for row in rows:
            stream.write(json.dumps(row, ensure_ascii=False) + '\n')
    return path


def make_browse_fixture(root: str, num_images: int = 3, seed: int = 0) -> BrowseFixture:
    """A synthetic val split of ``num_images`` images under ``root/data``, its data config, and
    ``root/predictions/predictions.jsonl``: one row per expression, the prediction the ground truth itself
    except for every :data:`WRONG_EVERY`-th row (file order), whose box is moved off it."""
    from mmrec.datasets import REFERDataset
    from mmrec.datasets.synthetic import generate_synthetic_refer

    summary = generate_synthetic_refer(osp.join(root, 'data'), num_images={'val': num_images}, seed=seed)
    dataset = REFERDataset(**summary['dataset_kwargs'], split='val', pipeline=[], serialize_data=False)
    rows = []
    for info in dataset.data_list:
        for expression in info['expressions']:
            x1, y1, x2, y2 = expression['bbox']
            wrong = len(rows) % WRONG_EVERY == 0
            shift = (x2 - x1 + 5) if wrong else 0.0
            pred = [x1 + shift, y1, x2 + shift, y2]
            rows.append(dict(img_id=info['img_id'], ref_id=expression['ref_id'], sent_id=expression['sent_id'],
                             ann_id=expression['ann_id'], split=expression['split'], kind=expression['kind'],
                             text=expression['text'], gt_bbox=[x1, y1, x2, y2], pred_bbox=pred, score=0.5,
                             iou=0.0 if wrong else 1.0, correct=not wrong, upper_bound_hit=True))
    return BrowseFixture(data_root=summary['dataset_kwargs']['data_root'],
                         data_config=write_data_config(osp.join(root, 'synthetic_val_data.py'),
                                                       summary['dataset_kwargs']['data_root']),
                         predictions=write_predictions(osp.join(root, 'predictions', 'predictions.jsonl'), rows),
                         rows=rows)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data and CRC."""
    return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)


def png_header(width: int, height: int, colour_type: int = 0) -> bytes:
    """The PNG signature and an ``IHDR`` announcing ``width`` x ``height`` 8-bit pixels (0 gray, 2 RGB)."""
    return b'\x89PNG\r\n\x1a\n' + png_chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, colour_type, 0, 0, 0))


def write_black_png(path, width: int, height: int) -> str:
    """A genuine grayscale PNG of ``width`` x ``height`` black pixels, written row by row (little memory)."""
    compressor, row = zlib.compressobj(9), b'\x00' * (width + 1)  # filter byte + pixels
    body = b''.join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    with open(path, 'wb') as stream:
        stream.write(png_header(width, height) + png_chunk(b'IDAT', body) + png_chunk(b'IEND', b''))
    return str(path)
