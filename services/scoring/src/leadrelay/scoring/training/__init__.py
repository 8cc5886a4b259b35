"""Training the conversion-probability model from labelled leads (CSV or outcomes)."""
