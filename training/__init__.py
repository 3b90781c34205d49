"""vdmzip's trainer: the integer-exact VDM of src/model, trained with PyTorch on CPU or GPU.

The network is read from the training folder's network.json, which the TypeScript side writes
from its one definition of the architecture; checkpoints are the flat float32 vectors that the
TypeScript side bundles for coding.
"""
