"""ckanext-dealroom: private 1-1 deal rooms from request to contract to access."""
