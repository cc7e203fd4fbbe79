"""Wang et al. (ICCV 2023): frequency shortcuts — spectra, ADCS, dominant frequency maps.

Modules: :mod:`spectra` (Fourier helpers, radial bands, band-stop and mask filtering),
:mod:`adcs` (class-wise spectral difference map), :mod:`dfm` (dominant frequency maps and the
TPR/FPR of DFM-filtered test sets), :mod:`learning_order` (per-class accuracy over the first
steps), :mod:`augment` (AutoAugment / AugMix as the training loop's ``augment`` callable) and
:mod:`natural` (the CIFAR-10 models that stand in for the paper's ImageNet-10 models).
"""
