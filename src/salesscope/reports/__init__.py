"""Reports: pure functions ``(warehouse, filters) -> ReportResult``, listed in ``registry``."""
