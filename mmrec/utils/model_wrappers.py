"""The model inside an mmengine model wrapper."""
import torch
from mmengine.model import is_model_wrapper


def unwrap_model(model: torch.nn.Module) -> torch.nn.Module:
    """The model inside an mmengine model wrapper (DDP and the like), or ``model`` itself."""
    return model.module if is_model_wrapper(model) else model
