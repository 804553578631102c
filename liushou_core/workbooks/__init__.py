"""workbooks."""
