# Evaluation only: no train loop and no optimizer, the val and test loops. Method 2 trains nothing (its detector
# is trained by its own config, CLIP is frozen). The data key that goes with it, train_dataloader = None, is set
# by the config that lists this piece beside its data piece.
train_cfg = None
optim_wrapper = None
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
