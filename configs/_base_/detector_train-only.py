# The detector configs' schedule and runtime: mmdet's 1x schedule (SGD, 12 epochs, lr 0.02 for 16 images per
# batch) and default runtime, mmrec imported (its weights-only checkpoint loader), no detection validation or
# test loop: a detector is judged where it matters, through the REC configs that take its checkpoint
# (tools/test.py configs/method2.py CKPT: REC accuracy and the proposal upper bound).
_base_ = ['mmdet::_base_/schedules/schedule_1x.py', 'mmdet::_base_/default_runtime.py']

custom_imports = dict(imports=['mmrec'], allow_failed_imports=False)
val_cfg = None
test_cfg = None
