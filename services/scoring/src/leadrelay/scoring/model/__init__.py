"""Serving the conversion model: a lean predictor, feature maps and explanations."""
