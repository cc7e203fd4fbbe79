"""Recovered samples (Mehmanchi et al., on Haim et al. 2022): reconstruct a binary MLP's training
images from its weights and score how well they come back, to expose biased models."""
