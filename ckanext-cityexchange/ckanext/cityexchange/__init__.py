"""ckanext-cityexchange: what every extension of the suite shares.

- :mod:`ckanext.cityexchange.guard`: the input guard (hostile values in any request or
  action call become field errors, never a server error) and shared validators;
- :mod:`ckanext.cityexchange.context`: the site-user context for reads the caller's
  rights do not govern;
- the plugin ``cityexchange``: portal-wide request guard, security headers and session
  rules.

The other extensions may import this package; they never import each other's modules
except their public ``interfaces``.
"""
