# Your own images and expressions: one JSON line per expression (docs/datasets.md, "Your own data"):
#   {"image": "street/0001.jpg", "expression": "the red car on the left", "box": [12, 40, 230, 190]}
# with the images under data/my_rec/images/ and the lines in data/my_rec/expressions.jsonl. Every line needs one
# box here (RECMetric); for several boxes or none per expression use RECJsonlDataset(generalized=True) with
# LoadGRECExpressions and GRECMetric, as grefcoco_grec.py does.
_base_ = './refcoco_rec.py'

jsonl_dataset = dict(
    _delete_=True,
    type='RECJsonlDataset',
    data_root='data/my_rec/',
    ann_file='expressions.jsonl',
    data_prefix=dict(img_path='images/'),
    box_format='xyxy',
    pipeline={{_base_.test_pipeline}},
    test_mode=True)
train_dataloader = None
val_dataloader = dict(dataset=jsonl_dataset)
test_dataloader = dict(dataset=jsonl_dataset)
