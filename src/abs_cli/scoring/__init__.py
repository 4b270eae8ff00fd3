"""Lead scoring: a TOML model (fit, engagement, negative rules), the batch engine that
applies it, the explanation of one lead's score, backtesting and calibration on history.
"""
