"""ckanext-pricing: offers, locked resources, entitlements and payments."""
