"""Test helper (Debian's python3-torch/torchvision): writes a randomly initialised
torchvision ResNet-18 feature extractor (classifier removed) as TorchScript.
Usage: /usr/bin/python3 make_backbone.py OUT.pt"""
import sys

import torch
import torchvision

model = torchvision.models.resnet18()  # random weights: nothing can be downloaded here
model.fc = torch.nn.Identity()
model.eval()
torch.jit.script(model).save(sys.argv[1])
