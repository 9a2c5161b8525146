//! Plots for reports (plotters, SVG and PNG, text in the shipped DejaVu Sans font).
