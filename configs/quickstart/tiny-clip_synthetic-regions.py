# The quickstart's CLIP: configs/clip/tiny-clip_1xb64-30e_synthetic-regions.py (a tiny CLIP trained from
# scratch on the synthetic train split's referred-object crops and their expressions), written by
# SaveCLIPPretrainedHook to WORK_DIR/clip for the REC configs' `name_or_path`.
#   python tools/train.py configs/quickstart/tiny-clip_synthetic-regions.py --work-dir work_dirs/quickstart/clip
_base_ = '../clip/tiny-clip_1xb64-30e_synthetic-regions.py'
