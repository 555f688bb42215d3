# Method 1 (CLIPTextConditionedHead in Faster R-CNN, fine-tuned on RefCOCO train): short entry point.
#   python tools/train.py configs/method1.py
#   python tools/test.py configs/method1.py work_dirs/method1/best_rec_accuracy_epoch_N.pth
# The zero-shot baseline row: configs/method1_clip-vit-b32_r50_fpn_zeroshot_refcoco.py
_base_ = './method1_clip-vit-b32_r50_fpn_5e_refcoco.py'
