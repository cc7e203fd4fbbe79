"""The cross-method chapter: one family of models with known planted properties, read by all
four diagnostics, and the agreement matrix of which diagnostic detects which property.

Modules: :mod:`planted` (the properties and the training sets that carry them),
:mod:`family` (the CNN and the homogeneous MLP trained on each set, through the model cache, and
their readings by the ``dataprints diagnose`` sections) and :mod:`agreement` (the detection rule
over seeds and the matrix), which depends on nothing but :mod:`dataprints.evidence`.
"""
