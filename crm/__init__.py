"""crm: a personal networking CRM for job seekers."""

__version__ = "0.1.0"
