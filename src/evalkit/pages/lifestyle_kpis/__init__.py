"""The lifestyle KPI page (03): the scorecard and each lifestyle section's indicators."""
