"""Dou et al. (2024): GMM clustering of each filter's feature maps, anomaly filters, and what
they say about overfitting (outlier samples, gradients, masking)."""
