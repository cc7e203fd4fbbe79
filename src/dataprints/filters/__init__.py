"""Jorgenson et al. (2025): early CNN filters reflect properties of the training data.

``argument`` (the gradient argument and the toy layer), ``properties`` (dataset sharpness and
noise), ``metrics`` (the eight first-layer metrics), ``architectures`` (paper models and CPU
stand-ins), ``sweep`` (train on variants, collect metrics), ``metamodel`` (random-forest R^2).
"""
