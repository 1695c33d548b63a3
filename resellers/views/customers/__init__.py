"""A reseller's own accounts (/portal/customers/): the customers and sub-resellers directly
under it. Every page finds its account through ``scope.py``, the one place that says which
accounts a reseller manages."""
