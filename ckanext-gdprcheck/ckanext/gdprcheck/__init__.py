"""ckanext-gdprcheck: GDPR checklist, publishing gate and personal-data scanner."""
