"""ckanext-cityharvest: other portals' open data (CKAN API and DCAT) in this catalog, kept in sync."""
