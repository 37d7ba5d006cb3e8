"""Local emulation of AWS for the control plane."""
