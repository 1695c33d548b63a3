"""The reseller's and customer's panel: every /portal/ page. Each calls the services of the
layers below (docs/architecture.md) and holds no rule of its own."""
