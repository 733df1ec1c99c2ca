"""salesscope: self-hosted sales analytics for businesses that sell through a CRM."""

__version__ = "0.1.0"
